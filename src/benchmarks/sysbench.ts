// sysbench cpu, prime limit 10000, a fixed number of events per instance: the execution time is
// what is measured (the paper's Fig. 2). k instances: k processes natively, or one in each of k
// pool containers, started together.
import { z } from 'zod';
import { duration, mode, positiveInt, toolPath } from '../config/fields.js';
import type { DutConfig } from '../config/schema.js';
import { JobError } from '../remote/errors.js';
import { commandIn, describeContext, type ExecContext, lxc, native } from '../remote/exec-context.js';
import { parallelScript, splitParallelOutput } from '../remote/parallel.js';
import type { Benchmark, Job, JobContext } from './types.js';

const params = z.strictObject({
  modes: z.array(mode).min(1).default(['native', 'lxc']),
  instances: z.array(positiveInt(64)).min(1).default([1, 2, 4]),
  cpu_max_prime: positiveInt(10_000_000).default(10_000),
  events: positiveInt(100_000_000).default(10_000).meta({ description: 'Events per instance (fixed work)' }),
  repetitions: positiveInt(1000).optional(),
  timeout: duration('5m').prefault('5m').meta({ description: 'Per repetition' }),
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
  return m ? Number(m[1]) : undefined;
};

/** Parses `sysbench cpu run` output, 1.x and legacy 0.4 (which prints no events per second). */
export function parseSysbench(text: string): SysbenchSample {
  const totalTimeSeconds = num(text, /^\s*total time:\s+([\d.]+)s\s*$/m);
  const events = num(text, /^\s*total number of events:\s+(\d+)\s*$/m);
  if (totalTimeSeconds === undefined || events === undefined) {
    throw new Error('not sysbench cpu output: no "total time" and "total number of events" lines');
  }
  return {
    version: /^sysbench ([\d.]+)/m.exec(text)?.[1],
    threads: num(text, /^Number of threads:\s+(\d+)/m),
    primeLimit: num(text, /^(?:Prime numbers limit|Maximum prime number checked in CPU test):\s+(\d+)/m),
    totalTimeSeconds,
    events,
    eventsPerSecond: num(text, /^\s*events per second:\s+([\d.]+)/m),
  };
}

function plan(p: Params, dut: DutConfig, defaults: { repetitions: number }): Job[] {
  const argv = [p.path, 'cpu', `--cpu-max-prime=${p.cpu_max_prime}`, `--events=${p.events}`, '--time=0', '--threads=1', 'run'];
  return p.modes.flatMap((m) =>
    p.instances.map((k): Job => {
      const ctxs: ExecContext[] =
        m === 'native' ? Array(k).fill(native) : dut.containers.pool.slice(0, k).map((name) => lxc(dut.lxc_path, name));
      return {
        benchmark: 'sysbench',
        mode: m,
        netdev: '',
        labels: { mode: m, instances: String(k) },
        repetitions: p.repetitions ?? defaults.repetitions,
        timeoutMs: p.timeout,
        runOnce: (ctx) => runInstances(ctx, ctxs, argv, p.timeout),
      };
    }),
  );
}

async function runInstances(ctx: JobContext, ctxs: ExecContext[], argv: string[], timeoutMs: number): Promise<number[]> {
  const script = parallelScript(ctxs.map((c) => commandIn(c, argv)));
  const res = await ctx.exec(script, { timeoutMs, signal: ctx.signal });
  const outputs = splitParallelOutput(res.stdout);
  if (outputs.length !== ctxs.length) {
    throw new JobError(
      'exit_status',
      `expected ${ctxs.length} instance outputs, got ${outputs.length} (exit ${res.exitCode}): ${res.stderr.trim()}`,
      res.stdout,
    );
  }
  return outputs.map(({ instance, exitCode, output }) => {
    const where = describeContext(ctxs[instance] as ExecContext);
    if (exitCode === 127 || (exitCode !== 0 && /\bnot found\b|Failed to exec/.test(output))) {
      throw new JobError('tool_missing', `${argv[0]} not found (${where}): ${output.trim().split('\n').at(-1)}`, output);
    }
    if (exitCode !== 0) {
      throw new JobError('exit_status', `${argv[0]} exited with ${exitCode} (${where}): ${output.trim().split('\n').at(-1)}`, output);
    }
    try {
      return parseSysbench(output).totalTimeSeconds;
    } catch (err) {
      throw new JobError('parse', `${(err as Error).message} (${where})`, output);
    }
  });
}

export const sysbench: Benchmark<Params> = {
  name: 'sysbench',
  family: {
    name: 'edgebench_sysbench_cpu_duration_seconds',
    help: 'sysbench cpu execution time per instance for a fixed number of events, mean of the last round',
    labelNames: ['mode', 'instances'],
  },
  params,
  check(p, dut) {
    if (!p.modes.includes('lxc')) return [];
    const need = Math.max(...p.instances);
    return need > dut.containers.pool.length
      ? [
          {
            path: ['instances'],
            message: `lxc mode runs one instance per pool container: ${need} instances need ${need} containers in containers.pool, which has ${dut.containers.pool.length}`,
          },
        ]
      : [];
  },
  plan,
  parse: parseSysbench,
};
