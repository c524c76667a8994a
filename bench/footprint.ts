// DUT footprint: what edgebench runs on the DUT. Between jobs it should leave nothing running;
// during a job, at most the shell and the tool.
//
// A round of every benchmark (short settings, 2 repetitions: native and lxc, host/veth/macvlan, perf
// on) by `edgebench run`, while this script samples the process table of the DUT's network
// namespace and of every container's, about every 10 ms. Processes there before the round (dropbear,
// LXC monitors, containers' init) are the lab's and left out. The rest is classified: `ssh session`
// (dropbear's child serving edgebench's one connection), `shell` (busybox sh carrying edgebench's
// job marker EDGEBENCH_JOB), `tool`, `lxc-attach`, `helper` (any other marked process: mktemp, cat,
// grep, sleep, tr, kill, …) and `unmarked` (not dropbear, no marker: would escape a kill by marker).
// Each sample is attributed to the job whose window (from its `job done` log) holds it, else to the
// round's start (connect, DUT facts, hpcc's working directories made), its end (those removed) or
// to "between jobs" (jobs follow each other within milliseconds, so few samples land there); each
// process's lifetime is followed across samples.
// A sample is "while measuring" when a benchmark client of edgebench runs on the test machine
// (network jobs) or a CPU/memory tool on the DUT. Targets: no process (but the ssh session)
// outlives the job it started in, nothing but the session between jobs and after the round (bar
// removing the round's working directories), and
// during a job no helper and no unmarked process (strict: a helper before or after the
// measurement counts; the last column shows those seen while a tool measured).
// edgebench's kill script runs without the marker (children of a marked-looking parent count as
// helpers). Short-lived helpers (a few ms) can slip between samples, so `strace -f` of the DUT's
// dropbear also lists every program the DUT executed, by phase: in a job, only shells, lxc-attach
// and the tools may appear.
//
//   npx tsc -p bench/tsconfig.json && node dist-bench/bench/footprint.js [--lab bnfoot]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labNamespaces, requireRoot } from '../harness/lab.js';
import { cli } from '../harness/repo.js';
import { background, jobLogs, options, sleep } from './lib/exec.js';
import { withLab, writeConfig } from './lib/lab.js';
import { clientsOf, execClass, identity, type Proc, type ProcClass, processesIn } from './lib/procs.js';
import { machine, table, verdict } from './lib/report.js';

const o = options({ lab: 'bnfoot' });
const CLASSES: ProcClass[] = ['ssh session', 'shell', 'tool', 'lxc-attach', 'helper', 'unmarked'];
const EDGE_MS = 10; // job windows come from ms timestamps: a sample this close to one belongs to it
const ROUND_START = 'round start (connect, DUT facts, working directories)';
const ROUND_END = 'round end (working directories removed)';

requireRoot('this benchmark');
console.log(`# DUT footprint: processes in the DUT's and its containers' network namespaces during a round\n# ${machine()}`);

await withLab(o.lab, [], async (lab) => {
  const config = writeConfig(lab, 'footprint.yml', {
    repetitions: 2,
    benchmarks: {
      sysbench: { instances: [1, 2], events: 500 },
      linpack: { instances: [1, 2], n: 200, block_size: 32 },
      stream: { path: (lab.dut.benchmarks as { stream: { path: string } }).stream.path, array_mib: 8 },
      nuttcp: { directions: ['transmit'], duration: '2s', perf: true },
      netperf: { protocols: ['tcp'], duration: '1s' },
      iperf3: { directions: ['receive'], instances: [1, 2], duration: '1s' },
    },
  });
  const namespaces = labNamespaces(lab.name);
  const baseline = new Map(processesIn(namespaces).map((p) => [identity(p), p]));

  // every program the DUT executes, to the microsecond, so that no helper slips between samples:
  // strace follows dropbear's children into lxc-attach and the containers
  const traceFile = join(lab.work, 'execve.txt');
  const dropbear = readFileSync(join(lab.dir, 'dropbear.pid'), 'utf8').trim();
  const strace = ['strace', '-f', '-z', '-qq', '-ttt', '-e', 'trace=execve', '-e', 'signal=none', '-o', traceFile, '-p', dropbear];
  const tracer = background(strace);
  await sleep(500);

  const samples: { t: number; procs: Proc[]; measuring: boolean }[] = [];
  const eb = background([process.execPath, cli, 'run', '-c', config], {
    ...process.env,
    EDGEBENCH_LOG_LEVEL: 'info',
  });
  let running = true;
  void eb.exited.then(() => {
    running = false;
  });
  while (running) {
    const procs = processesIn(namespaces).filter((p) => !baseline.has(identity(p)));
    // a tool measures: a client on the test machine (network), or a CPU/memory tool on the DUT
    const cpuTool = procs.some((p) => ['sysbench', 'hpcc', 'xhpl'].includes(p.comm) || p.comm.startsWith('stream'));
    samples.push({ t: Date.now(), procs, measuring: cpuTool || clientsOf(eb.child.pid as number) > 0 });
    await sleep(10);
  }
  const ended = Date.now();
  await sleep(1000);
  const leftover = processesIn(namespaces).filter((p) => !baseline.has(identity(p)));
  await tracer.stop('SIGINT');
  const execs = readFileSync(traceFile, 'utf8')
    .split('\n')
    .flatMap((line) => {
      const m = /^\d+\s+(\d+\.\d+) execve\("([^"]+)"/.exec(line);
      return m ? [{ t: Number(m[1]) * 1000, path: m[2] as string }] : [];
    });
  if (execs.length === 0) throw new Error(`strace saw no execve on the DUT: ${tracer.stderr()}`);

  const jobs = jobLogs(eb.stderr()).map((j) => ({
    name: [j.benchmark, j.labels.mode, j.labels.netdev].filter(Boolean).join(' '),
    start: j.time - (j.durationSeconds ?? 0) * 1000,
    end: j.time,
    ok: j.msg === 'job done',
  }));
  const firstStart = Math.min(...jobs.map((j) => j.start));
  const lastEnd = Math.max(...jobs.map((j) => j.end));
  // a sample's time is when it was taken, to within its 10 ms; an execve's is exact
  const phaseOf = (t: number, edge = EDGE_MS) => {
    const job = jobs.find((j) => t >= j.start - edge && t <= j.end + edge);
    if (job) return job.name;
    if (t < firstStart) return ROUND_START;
    return t > lastEnd ? ROUND_END : 'between jobs';
  };

  interface Phase {
    samples: number;
    max: Record<ProcClass, number>;
    seen: Map<ProcClass, Set<string>>;
    /** Helpers and unmarked processes seen while a tool measured. */
    whileMeasuring: Set<string>;
  }
  const phases = new Map<string, Phase>();
  for (const s of samples) {
    const name = phaseOf(s.t);
    const ph = phases.get(name) ?? {
      samples: 0,
      max: Object.fromEntries(CLASSES.map((c) => [c, 0])) as Record<ProcClass, number>,
      seen: new Map(),
      whileMeasuring: new Set<string>(),
    };
    ph.samples += 1;
    if (s.measuring) for (const p of s.procs.filter((q) => q.cls === 'helper' || q.cls === 'unmarked')) ph.whileMeasuring.add(p.comm);
    for (const c of CLASSES) {
      const of = s.procs.filter((p) => p.cls === c);
      ph.max[c] = Math.max(ph.max[c], of.length);
      for (const p of of) ph.seen.set(c, (ph.seen.get(c) ?? new Set()).add(p.comm));
    }
    phases.set(name, ph);
  }

  const rows = [...phases].map(([name, ph]) => [
    name,
    ph.samples,
    ...CLASSES.map((c) => ph.max[c]),
    CLASSES.filter((c) => c !== 'ssh session')
      .flatMap((c) => [...(ph.seen.get(c) ?? [])].map((comm) => `${c}:${comm}`))
      .join(' '),
    [...ph.whileMeasuring].join(' ') || '-',
  ]);
  console.log(`lab processes left out (there before the round): ${[...new Set([...baseline.values()].map((p) => p.comm))].join(' ')}`);
  console.log(`${samples.length} samples over ${((ended - (samples[0]?.t ?? ended)) / 1000).toFixed(1)} s, ${jobs.length} jobs\n`);
  console.log(table(['phase', 'samples', ...CLASSES.map((c) => `max ${c}`), 'seen (class:command)', 'helpers while measuring'], rows));
  console.log(
    `\nafter edgebench exited: ${leftover.length === 0 ? 'nothing left' : leftover.map((p) => `${p.pid} ${p.cmdline}`).join('; ')}`,
  );

  // a process of a job must end with it: one seen after its job's end outlived it
  const life = new Map<string, { proc: Proc; first: number; last: number }>();
  for (const s of samples) {
    for (const proc of s.procs) {
      const l = life.get(identity(proc)) ?? { proc, first: s.t, last: s.t };
      l.last = s.t;
      life.set(identity(proc), l);
    }
  }
  // the job a process started in: the last one started by then (jobs follow each other within ms)
  const startedIn = (t: number) => jobs.filter((j) => j.start - EDGE_MS <= t).sort((a, b) => b.start - a.start)[0];
  const outlived = [...life.values()].filter(({ proc, first, last }) => {
    const job = startedIn(first);
    // one first seen after its job's end belongs to the round's end, or to "between jobs"
    return proc.cls !== 'ssh session' && job !== undefined && first <= job.end + EDGE_MS && last > job.end + EDGE_MS;
  });
  console.log(
    `processes that outlived their job: ${outlived.length === 0 ? 'none' : outlived.map((l) => `${l.proc.pid} ${l.proc.cmdline.split('\n')[0]?.slice(0, 80)}`).join('; ')}`,
  );

  // programs executed per phase, by class
  const ran = new Map<string, Map<string, Set<string>>>();
  for (const e of execs) {
    const name = phaseOf(e.t, 0);
    const byClass = ran.get(name) ?? new Map<string, Set<string>>();
    const cls = execClass(e.path);
    byClass.set(cls, (byClass.get(cls) ?? new Set()).add(e.path.split('/').at(-1) ?? e.path));
    ran.set(name, byClass);
  }
  console.log(`\nprograms the DUT executed (strace -f of dropbear: ${execs.length} execve), by phase:`);
  console.log(
    table(
      ['phase', 'shell', 'lxc-attach', 'tool', 'helper'],
      [...ran].map(([name, byClass]) => [
        name,
        ...['shell', 'lxc-attach', 'tool', 'helper'].map((c) => [...(byClass.get(c) ?? [])].join(' ') || '-'),
      ]),
    ),
  );

  const missed: string[] = [];
  for (const [name, byClass] of ran) {
    const helpers = [...(byClass.get('helper') ?? [])];
    if (helpers.length > 0 && name !== ROUND_START && name !== ROUND_END) missed.push(`${name}: executed ${helpers.join(' ')}`);
  }
  if (outlived.length > 0) missed.push(`${outlived.length} process(es) outlived their job`);
  for (const [name, ph] of phases) {
    const extra = CLASSES.filter((c) => c !== 'ssh session' && ph.max[c] > 0);
    if (name.startsWith('between') && extra.length > 0) missed.push(`between jobs: ${extra.join(', ')} seen`);
    if (!name.startsWith('between') && name !== ROUND_START && name !== ROUND_END && (ph.max.helper > 0 || ph.max.unmarked > 0))
      missed.push(
        `${name}: ${[...(ph.seen.get('helper') ?? []), ...(ph.seen.get('unmarked') ?? [])].join(' ')} beside the shell and the tool`,
      );
    if (ph.whileMeasuring.size > 0) missed.push(`${name}: ${[...ph.whileMeasuring].join(' ')} while the tool measured`);
  }
  if (leftover.length > 0) missed.push('processes left after the round');
  const code = await eb.exited;
  if (code !== 0 || jobs.length === 0) missed.push(`edgebench run exited ${code} after ${jobs.length} job(s): ${eb.stderr().slice(-500)}`);
  const failed = jobs.filter((j) => !j.ok);
  if (failed.length > 0) missed.push(`${failed.length} job(s) failed: ${failed.map((j) => j.name).join(', ')}`);
  verdict(missed);
});
