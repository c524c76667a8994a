// Round efficiency: a round's wall time against the sum of its tools' own run times; target <= 1.05.
//
// The round: the lab configuration's sysbench, nuttcp (with perf), netperf and iperf3 benchmarks as
// lab/edgebench-lab writes them (native and lxc, host/veth/macvlan, both directions, 1/2/4
// instances, adaptive repetitions min 3 max 6), run by `edgebench serve` (first round at start).
// Wall time: the round's own `edgebench_round_duration_seconds`. Tool time: wrappers
// (lib/tool-times.ts) around sysbench on the DUT and the nuttcp/netperf/iperf3 clients on the test
// machine; the time any of them was running, parallel instances counted once. Per benchmark, the
// table splits the rest: inside jobs (servers, perf, ssh, shells, lxc-attach, parsing), and between
// jobs (connect, DUT facts, link lookups).
//
//   npx tsc -p bench/tsconfig.json && node dist-bench/bench/round-efficiency.js [--lab bnround] [--shape 100mbit]
import { requireRoot } from '../harness/lab.js';
import { freePort } from '../harness/ports.js';
import { type JobLog, options } from './lib/exec.js';
import { withLab, writeConfig } from './lib/lab.js';
import { fixed, machine, sum, table, verdict } from './lib/report.js';
import { Serve } from './lib/serve.js';
import { covered, type ToolRun, ToolTimes } from './lib/tool-times.js';

const o = options({ lab: 'bnround', shape: '100mbit' });
const TARGET = 1.05;

requireRoot('this benchmark');
console.log(`# round efficiency: round wall time / tools' run time, DUT link ${o.shape}\n# ${machine()}`);

const jobWindow = (j: JobLog) => ({ start: j.time - (j.durationSeconds ?? 0) * 1000, end: j.time });
const inside = (runs: readonly ToolRun[], w: { start: number; end: number }) =>
  runs.filter((r) => r.start >= w.start - 2 && r.end <= w.end + 2);

await withLab(o.lab, o.shape === 'none' ? [] : ['--shape', o.shape], async (lab) => {
  const times = new ToolTimes(`${o.lab}-${process.pid}`);
  try {
    const port = await freePort();
    const config = writeConfig(lab, 'round.yml', {
      listen: `127.0.0.1:${port}`,
      repetitions: { min: 3, max: 6, max_rsd_percent: 5 },
      benchmarks: {
        sysbench: { instances: [1, 2, 4], events: 2000, timeout: '2m', path: times.wrap('sysbench') },
        nuttcp: { duration: '5s', perf: true, client_path: times.wrap('nuttcp') },
        netperf: { duration: '3s', client_path: times.wrap('netperf') },
        iperf3: { instances: [1, 2, 4], duration: '3s', client_path: times.wrap('iperf3') },
      },
    });
    const serve = new Serve(config, port);
    let samples: Awaited<ReturnType<Serve['roundsDone']>>;
    try {
      samples = await serve.roundsDone(1, 30 * 60_000);
    } finally {
      await serve.stop();
    }
    const wall = (samples.find((s) => s.name === 'edgebench_round_duration_seconds')?.value ?? Number.NaN) * 1000;
    const jobs = serve.jobs();
    const failed = jobs.filter((j) => j.msg !== 'job done');
    const runs = times.take(lab);
    // the round's own tool runs: inside its jobs (the DUT facts at the start ask sysbench its version)
    const own = jobs.flatMap((j) => inside(runs, jobWindow(j)));
    const tool = covered(own);

    const rows = ['sysbench', 'nuttcp', 'netperf', 'iperf3'].map((b) => {
      const js = jobs.filter((j) => j.benchmark === b);
      const jobWall = sum(js.map((j) => (j.durationSeconds ?? 0) * 1000));
      const toolB = sum(js.map((j) => covered(inside(runs, jobWindow(j)))));
      const reps = sum(js.map((j) => j.n ?? 0));
      return [b, js.length, reps, fixed(jobWall / 1000), fixed(toolB / 1000), fixed((jobWall - toolB) / reps), fixed(jobWall / toolB, 3)];
    });
    const jobsWall = sum(jobs.map((j) => (j.durationSeconds ?? 0) * 1000));
    rows.push(['(between jobs)', '', '', fixed((wall - jobsWall) / 1000), '', '', '']);
    rows.push(['round', jobs.length, '', fixed(wall / 1000), fixed(tool / 1000), '', fixed(wall / tool, 3)]);
    console.log(table(['benchmark', 'jobs', 'repetitions', 'wall s', 'tool s', 'overhead ms per repetition', 'wall / tool'], rows));
    const missed = failed.map((j) => `job failed: ${j.benchmark} ${JSON.stringify(j.labels)} ${j.reason}: ${j.err}`);
    if (!(wall / tool <= TARGET)) missed.push(`round wall / tool time ${(wall / tool).toFixed(3)} > ${TARGET}`);
    verdict(missed);
  } finally {
    times.cleanup(lab);
  }
});
