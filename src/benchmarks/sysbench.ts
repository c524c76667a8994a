// sysbench cpu, prime limit 10000, a fixed number of events per instance: the execution time is
// what is measured (the paper's Fig. 2). k instances: k processes natively, or one in each of k
// pool containers, started together.
import { z } from 'zod';
import type { DutTarget } from '../config/dut.js';
import { duration, maxOutputBytes, mode, positiveInt, repetitions, toolPath } from '../config/fields.js';
import { runParallel } from '../remote/parallel.js';
import { parsed } from '../remote/tool-failure.js';
import type { Benchmark, ResultFamily } from './benchmark.js';
import { instanceJobs, poolIssues } from './instances.js';
import type { Job } from './job.js';
import { jobBase } from './job-base.js';

const params = z.strictObject({
  modes: z.array(mode).min(1).default(['native', 'lxc']),
  instances: z.array(positiveInt(64)).min(1).default([1, 2, 4]),
  cpu_max_prime: positiveInt(10_000_000).default(10_000),
  events: positiveInt(100_000_000).default(10_000).meta({ description: 'Events per instance (fixed work)' }),
  repetitions: repetitions.optional(),
  timeout: duration('5m').prefault('5m').meta({ description: 'Per repetition' }),
  max_output_bytes: maxOutputBytes,
  path: toolPath.default('sysbench'),
});
type Params = z.output<typeof params>;

export interface SysbenchSample {
  version: string | undefined;
  threads: number | undefined;
  primeLimit: number | undefined;
  totalTimeSeconds: number;
  events: number;
  eventsPerSecond: number | undefined;
}

const num = (text: string, re: RegExp): number | undefined => {
  const m = re.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  // "[\d.]+" also matches "1.2.3", and 400 digits overflow to Infinity
  if (!Number.isFinite(n)) throw new Error(`not sysbench cpu output: unreadable number in "${m[0].trim().slice(0, 200)}"`);
  return n;
};

// [ \t]* rather than \s* after ^: with /m, \s* would also run over newlines, and every blank line of a
// long run of them would start a scan to the run's end (quadratic).
/** Parses `sysbench cpu run` output, 1.x and legacy 0.4 (which prints no events per second). */
export function parseSysbench(text: string): SysbenchSample {
  const totalTimeSeconds = num(text, /^[ \t]*total time:\s+([\d.]+)s\s*$/m);
  const events = num(text, /^[ \t]*total number of events:\s+(\d+)\s*$/m);
  if (totalTimeSeconds === undefined || events === undefined) {
    // below --verbosity=3 (the default), sysbench prints nothing at all
    const empty = text.trim() === '' ? ' (empty: sysbench prints its report only at --verbosity 3 or more)' : '';
    throw new Error(`not sysbench cpu output: no "total time" and "total number of events" lines${empty}`);
  }
  // printed with 4 decimals: 0.0000s is a run too short to time, not a duration
  if (totalTimeSeconds === 0) throw new Error('sysbench cpu measured a total time of 0 s: too few events to time');
  return {
    version: /^sysbench ([\d.]+)/m.exec(text)?.[1],
    threads: num(text, /^Number of threads:\s+(\d+)/m),
    primeLimit: num(text, /^(?:Prime numbers limit|Maximum prime number checked in CPU test):\s+(\d+)/m),
    totalTimeSeconds,
    events,
    eventsPerSecond: num(text, /^[ \t]*events per second:\s+([\d.]+)/m),
  };
}

const family: ResultFamily = {
  name: 'edgebench_sysbench_cpu_duration_seconds',
  help: 'sysbench cpu execution time per instance for a fixed number of events, mean of the last round',
  labelNames: ['mode', 'instances'],
  title: 'sysbench CPU time',
  paperRef: 'Fig. 2',
  legend: '×{{instances}}',
  higherIsBetter: false,
  display: { symbol: 's', grafana: 's' },
  instancesFigure: {
    title: 'Fig. 2: sysbench CPU time per instance vs instances',
    description:
      'sysbench cpu (prime limit 10000): execution time of one instance when k instances run in parallel, native vs LXC. Lower is better.',
  },
};

function plan(p: Params, dut: DutTarget, defaults: Pick<Job, 'repetitions'>): Job[] {
  const argv = [p.path, 'cpu', `--cpu-max-prime=${p.cpu_max_prime}`, `--events=${p.events}`, '--time=0', '--threads=1', 'run'];
  const base = jobBase('sysbench', family, p, defaults);
  return instanceJobs(base, p.modes, p.instances, dut, async (ctx, where) => ({
    values: (await runParallel(ctx, where, argv, p.timeout)).map(
      (run) => parsed('sysbench', run.where, run.output, parseSysbench).totalTimeSeconds,
    ),
  }));
}

export const sysbench: Benchmark<Params> = {
  name: 'sysbench',
  order: 10,
  versionFlag: '--version',
  families: [family],
  params,
  parsers: { sysbench: parseSysbench },
  check: (p, dut) => poolIssues(p.modes, p.instances, dut),
  plan,
};
