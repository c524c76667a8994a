// Orchestration overhead per job: a job's wall time minus the tool's own run time, edgebench against
// plain OpenSSH (`ssh dut cmd` per job, what shell scripts do), measured in the same run.
//
// Method. The tool is replaced by a wrapper that records its own start and end (lib/tool-times.ts):
// sysbench on the DUT (natively, or in pool container 0 through lxc-attach), the netperf client on
// the test machine. edgebench: RUNS separate `edgebench run` invocations of a one-job configuration
// (repetitions 1, the wrapper as `path` / `client_path`); overhead = the job's `durationSeconds`
// from its `job done` log minus the wrapper's END - START, split into before the tool started and
// after it ended (the log's time is the job's end). Plain ssh: the same command line per job, wall
// time measured here around the ssh client(s); for netperf the shell-script way: `ssh dut
// netserver -p PORT` (it daemonizes once listening), the client, `ssh dut 'kill $(fuser PORT/tcp)'`.
// Target: edgebench's median overhead below 50 ms per job. Cases and RUNS interleave A B A B.
//
//   npx tsc -p bench/tsconfig.json && node dist-bench/bench/overhead.js [--runs 15] [--lab bnover]

import { requireRoot } from '../harness/lab.js';
import { onDut } from './lib/direct.js';
import { edgebenchRun, type JobLog, options, run } from './lib/exec.js';
import { container, type Lab, ssh, withLab, writeConfig } from './lib/lab.js';
import { fixed, machine, median, table, verdict } from './lib/report.js';
import { covered, type ToolRun, ToolTimes } from './lib/tool-times.js';

const o = options({ runs: '15', lab: 'bnover' });
const TARGET_MS = 50;
const EVENTS = 200; // sysbench: about 50 ms of work here; its length does not enter the overhead
const NETPERF_S = 1;

interface Sample {
  overhead: number;
  before?: number;
  after?: number;
}

interface Case {
  name: string;
  benchmark: string;
  params: (t: ToolTimes) => Record<string, unknown>;
  /** The plain-ssh job; returns its wall time in ms. */
  plain: (lab: Lab, t: ToolTimes) => Promise<number>;
}

const pool0 = (lab: Lab) => (lab.dut.containers as { pool: string[] }).pool[0] as string;
const sysbenchArgs = ['cpu', '--cpu-max-prime=10000', `--events=${EVENTS}`, '--time=0', '--threads=1', 'run'];

function sysbenchCase(mode: 'native' | 'lxc'): Case {
  return {
    name: `sysbench ${mode}`,
    benchmark: 'sysbench',
    params: (t) => ({ modes: [mode], instances: [1], events: EVENTS, path: t.wrap('sysbench') }),
    async plain(lab, t) {
      const r = await ssh(lab, onDut(lab, mode === 'native' ? 'native' : pool0(lab), [t.wrap('sysbench'), ...sysbenchArgs]));
      if (r.code !== 0) throw new Error(`plain sysbench failed: ${r.stderr}`);
      return r.ms;
    },
  };
}

function netperfCase(netdev: 'host' | 'veth'): Case {
  return {
    name: `netperf ${netdev} TCP_RR ${NETPERF_S}s`,
    benchmark: 'netperf',
    params: (t) => ({ netdevs: [netdev], protocols: ['tcp'], duration: `${NETPERF_S}s`, client_path: t.wrap('netperf') }),
    async plain(lab, t) {
      const where = netdev === 'host' ? 'native' : container(lab, 'veth').name;
      const address = netdev === 'host' ? lab.dut.host : container(lab, 'veth').address;
      const t0 = performance.now();
      const start = await ssh(lab, onDut(lab, where, ['netserver', '-p', '12865']));
      const client = await run([t.wrap('netperf'), '-H', address, '-p', '12865', '-t', 'TCP_RR', '-l', `${NETPERF_S}`, '-P', '0']);
      const stop = await ssh(lab, onDut(lab, where, ['sh', '-c', 'kill $(fuser 12865/tcp 2>/dev/null)']));
      const ms = performance.now() - t0;
      if (start.code !== 0 || client.code !== 0 || stop.code !== 0) throw new Error(`plain netperf failed: ${client.stdout}${stop.stderr}`);
      return ms;
    },
  };
}

const cases = [sysbenchCase('native'), sysbenchCase('lxc'), netperfCase('host'), netperfCase('veth')];

function edgebenchSample(job: JobLog | undefined, runs: ToolRun[]): Sample {
  if (job?.msg !== 'job done' || job.durationSeconds === undefined) throw new Error(`edgebench job failed: ${JSON.stringify(job)}`);
  const end = job.time;
  const start = end - job.durationSeconds * 1000;
  // only the job's own runs: the round starts by asking the tool for its version
  const own = runs.filter((r) => r.start >= start - 2 && r.end <= end + 2);
  if (own.length === 0) throw new Error('no tool run recorded during the job');
  return {
    overhead: job.durationSeconds * 1000 - covered(own),
    before: Math.min(...own.map((r) => r.start)) - start,
    after: end - Math.max(...own.map((r) => r.end)),
  };
}

requireRoot('this benchmark');
const n = Number(o.runs);
console.log(`# orchestration overhead per job (wall - tool's own run time), ${n} jobs per case and way\n# ${machine()}`);

await withLab(o.lab, [], async (lab) => {
  const times = new ToolTimes(`${o.lab}-${process.pid}`);
  try {
    const rows: (string | number)[][] = [];
    const missed: string[] = [];
    for (const c of cases) {
      const config = writeConfig(lab, `${c.name.replaceAll(' ', '-')}.yml`, { benchmarks: { [c.benchmark]: c.params(times) } });
      const eb: Sample[] = [];
      const plain: Sample[] = [];
      times.take(lab);
      for (let i = 0; i < n; i++) {
        const r = await edgebenchRun(config);
        eb.push(edgebenchSample(r.jobs[0], times.take(lab)));
        const wall = await c.plain(lab, times);
        plain.push({ overhead: wall - covered(times.take(lab)) });
      }
      const ebMed = median(eb.map((s) => s.overhead));
      const plainMed = median(plain.map((s) => s.overhead));
      rows.push([
        c.name,
        fixed(ebMed),
        fixed(median(eb.map((s) => s.before ?? 0))),
        fixed(median(eb.map((s) => s.after ?? 0))),
        fixed(plainMed),
        fixed(ebMed / plainMed, 2),
      ]);
      if (!(ebMed < TARGET_MS)) missed.push(`${c.name}: edgebench median overhead ${ebMed.toFixed(1)} ms >= ${TARGET_MS} ms`);
    }
    console.log(
      table(
        [
          'job',
          'edgebench overhead ms (median)',
          'of which before tool',
          'after tool',
          'plain ssh overhead ms (median)',
          'edgebench / ssh',
        ],
        rows,
      ),
    );
    verdict(missed);
  } finally {
    times.cleanup(lab);
  }
});
