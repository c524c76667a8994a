// What edgebench costs a slow device (issue 14, item 5): the overhead and footprint benchmarks on
// an emulated MIPS 24Kc router (`edgebench-lab up NAME --arch mipsel`: QEMU, 1 core without FPU,
// 256 MiB, Debian 12 mipsel, busybox ash, dropbear, LXC), where every shell, lxc-attach and SSH
// handshake costs what it costs on such a router, not on the test machine.
//
// 1. Orchestration per job, edgebench against plain OpenSSH, interleaved A B A B: STREAM natively
//    (one suite, a small explicit array), netperf TCP_RR 1 s through host and veth, hpcc (Linpack,
//    N 100) natively. edgebench: a separate `edgebench run` of a one-job configuration (1
//    repetition), job wall time = `durationSeconds` of its `job done` log. Plain ssh: the same tool
//    command per job as a shell script runs it (`ssh -i key -o UserKnownHostsFile=… root@dut cmd`;
//    for netperf `ssh dut netserver -p PORT`, which daemonizes, the client, `ssh dut killall
//    netserver`), wall time around the ssh clients. The tool's own run time: on the DUT (stream,
//    hpcc) the elapsed time of the tool's BSD accounting record (stream's own process; mpirun for
//    hpcc, which spans it), from its fork by the shell to its exit, to 10 ms, nothing added on the
//    DUT; netperf's is its client's on the test machine (lib/tool-times.ts's wrapper, to the µs).
//    The device's CPU per job comes from the same records: the tool's processes, edgebench's own
//    (shells, lxc-attach, the round's probes), the SSH sessions.
// 2. CPU on the device during one whole round of the lab's configuration, reduced to finish in a
//    few minutes (repetitions 1, no sysbench (the image has none), linpack and iperf3 1 instance):
//    accounting on around the `edgebench run`, then each record classified by command: the
//    measured tools (stream, hpcc, mpirun and whatever runs under it, netserver, nuttcp, iperf3,
//    perf) or edgebench's own (shells, busybox applets, lxc-attach, the round's probes, the
//    dropbear session of its connection). Records are attributed to jobs by channel: each SSH exec
//    channel is one child of the session on the DUT, forked in the order edgebench asks for them,
//    and lib/exec-trace.ts (preloaded into `edgebench run`) logs when edgebench asked and for what;
//    the job windows are those of the `job done` logs (start = end - durationSeconds). The
//    session's own record covers the whole round (one connection): it is reported per round only.
//    Cross-check: the guest's /proc/stat busy time over the round against the sum of the records
//    plus the CPU of the processes that lived through the round (/proc/*/stat: kernel threads such
//    as ksoftirqd, which does most of the network jobs' packet work, and the lab's own).
// Resolution (lib/guest.ts): CPU times are tick-sampled (4 ms ticks) and truncated to 10 ms per
// field per record, so a helper of a few ms may show 0, and the own CPU of many short processes
// is understated by up to 20 ms each: the upper bound is printed beside it.
// Targets (stated, not timed assertions): overhead per job not more than plain ssh's; edgebench's
// own CPU on the device below 5 % of the tools' over a round.
//
//   npx tsc -p bench/tsconfig.json && node dist-bench/bench/slow-dut.js [--runs 7] [--lab bnslow]
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { requireRoot } from '../harness/lab.js';
import { cli } from '../harness/repo.js';
import type * as Linpack from '../src/benchmarks/linpack.js';
import { onDut } from './lib/direct.js';
import { type JobLog, jobLogs, options, type Ran, run, sleep } from './lib/exec.js';
import type { TracedExec } from './lib/exec-trace.js';
import { type AcctRecord, type CpuSnapshot, cpuOf, Guest, TRUNCATION_PER_RECORD_S } from './lib/guest.js';
import { container, type Lab, ssh, withLab, writeConfig } from './lib/lab.js';
import { fixed, machine, median, sum, table, verdict } from './lib/report.js';
import { covered, type ToolRun, ToolTimes } from './lib/tool-times.js';

const o = options({ runs: '7', lab: 'bnslow' });
const SHARE_TARGET = 0.05;
const ARRAY_MIB = 1; // STREAM per array: -M 3M, 11-17 s on the emulated 24Kc
const LINPACK_N = 100;
const LINPACK_NB = 32;
const NETPERF_S = 1;
const PLAIN_HPCC_DIR = '/tmp/edgebench-bench-hpcc';
const traceModule = new URL('./lib/exec-trace.js', import.meta.url).href;

/** The measured tools on the DUT; whatever runs under one (mpirun's helpers, stream's children) counts as it. */
const TOOLS = new Set([
  'stream',
  'hpcc',
  'xhpl',
  'linpack',
  'mpirun',
  'orterun',
  'prterun',
  'orted',
  'prted',
  'netserver',
  'nuttcp',
  'iperf3',
  'perf',
  'sysbench',
]);

// --- the records of one run, classified ----------------------------------------------------------

interface Classified {
  all: AcctRecord[];
  sessions: AcctRecord[];
  tools: AcctRecord[];
  /** Everything else: shells, applets, lxc-attach, probes; the sessions are not in it. */
  own: AcctRecord[];
  /** The tool's own process(es): a tool record whose parent is no tool. */
  toolHeads: AcctRecord[];
}

function classify(records: readonly AcctRecord[], mainDropbear: number): Classified {
  const byPid = new Map(records.map((r) => [r.pid, r]));
  const isTool = (r: AcctRecord) => {
    let cur: AcctRecord | undefined = r;
    for (let depth = 0; cur && depth < 12; depth++) {
      if (TOOLS.has(cur.comm)) return true;
      cur = byPid.get(cur.ppid);
    }
    return false;
  };
  const sessions = records.filter((r) => r.comm === 'dropbear' && r.ppid === mainDropbear);
  const tools = records.filter((r) => !sessions.includes(r) && isTool(r));
  const own = records.filter((r) => !sessions.includes(r) && !tools.includes(r));
  const toolHeads = tools.filter((r) => !tools.some((p) => p.pid === r.ppid));
  return { all: [...records], sessions, tools, own, toolHeads };
}

const cpu = (rs: readonly AcctRecord[]) => sum(rs.map(cpuOf));

/** "sh 3 (0.42), memfd:lxc-attac 2 (0.40)": processes and CPU seconds by command, most CPU first. */
function byCommand(rs: readonly AcctRecord[]): string {
  const m = new Map<string, { n: number; s: number }>();
  for (const r of rs) {
    const e = m.get(r.comm) ?? { n: 0, s: 0 };
    e.n += 1;
    e.s += cpuOf(r);
    m.set(r.comm, e);
  }
  return [...m]
    .sort((a, b) => b[1].s - a[1].s)
    .map(([c, e]) => `${c} ${e.n} (${e.s.toFixed(2)})`)
    .join(', ');
}

// --- edgebench run, with its exec channels traced ------------------------------------------------

interface JobWindow {
  name: string;
  start: number;
  end: number;
  ok: boolean;
  log: JobLog;
}

const jobName = (j: JobLog) =>
  [
    j.benchmark,
    ...Object.entries(j.labels)
      .filter(([k]) => k !== 'kernel')
      .map(([, v]) => v),
  ].join(' ');

interface TracedRun extends Ran {
  jobs: JobWindow[];
  execs: TracedExec[];
  spawnedAt: number;
  exitedAt: number;
}

async function tracedRun(config: string, trace: string): Promise<TracedRun> {
  const spawnedAt = Date.now();
  const r = await run([process.execPath, '--import', traceModule, cli, 'run', '-c', config], {
    env: { ...process.env, EDGEBENCH_LOG_LEVEL: 'info', EDGEBENCH_BENCH_EXEC_TRACE: trace },
  });
  const exitedAt = Date.now();
  const execs = existsSync(trace)
    ? readFileSync(trace, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as TracedExec)
    : [];
  const jobs = jobLogs(r.stderr).map((j) => ({
    name: jobName(j),
    start: j.time - (j.durationSeconds ?? 0) * 1000,
    end: j.time,
    ok: j.msg === 'job done',
    log: j,
  }));
  return { ...r, jobs, execs, spawnedAt, exitedAt };
}

const START_SLACK_MS = 20;
const ROUND_START = 'round start (connect, DUT facts, tool versions, work dirs)';
const ROUND_END = 'round end (work dirs removed)';
const BETWEEN = 'between jobs';
const UNATTRIBUTED = 'not under the session (kernel helpers: modprobe)';

/**
 * Each record of an edgebench run with the phase it ran in: the k-th child of the run's SSH session
 * (by pid: fork order) is the k-th exec channel edgebench asked for, and its phase is the job
 * whose window holds that request. Throws when channels and requests do not pair up.
 */
function phases(c: Classified, r: TracedRun): { phaseOf: Map<AcctRecord, string>; mismatches: string[] } {
  if (c.sessions.length !== 1) throw new Error(`expected one SSH session of edgebench on the DUT, found ${c.sessions.length}`);
  const session = c.sessions[0] as AcctRecord;
  const roots = c.all.filter((x) => x.ppid === session.pid).sort((a, b) => a.pid - b.pid);
  if (roots.length !== r.execs.length) {
    throw new Error(
      `${roots.length} channel processes on the DUT (${roots.map((x) => `${x.pid} ${x.comm}`).join(', ')}) but edgebench asked for ` +
        `${r.execs.length} channels (${r.execs.map((e) => `${e.t} ${e.command.slice(0, 70)}`).join(' | ')}); records: ` +
        c.all.map((x) => `${x.pid}/${x.ppid} ${x.comm}`).join(', '),
    );
  }
  const firstStart = Math.min(...r.jobs.map((j) => j.start));
  const lastEnd = Math.max(...r.jobs.map((j) => j.end));
  const phaseAt = (t: number) => {
    // a job's log is written a few ms after its end: its start (end - durationSeconds) may be a
    // few ms late, while the round's last command before it ran for 100 ms or more
    const job = r.jobs.find((j) => t >= j.start - START_SLACK_MS && t <= j.end);
    if (job) return job.name;
    if (t < firstStart - START_SLACK_MS) return ROUND_START;
    return t > lastEnd ? ROUND_END : BETWEEN;
  };
  const byPid = new Map(c.all.map((x) => [x.pid, x]));
  const rootOf = (x: AcctRecord) => {
    let cur: AcctRecord | undefined = x;
    for (let depth = 0; cur && depth < 12; depth++) {
      if (cur.ppid === session.pid) return cur;
      cur = byPid.get(cur.ppid);
    }
    return undefined;
  };
  const phaseOfRoot = new Map(roots.map((root, k) => [root, phaseAt((r.execs[k] as TracedExec).t)]));
  const phaseOf = new Map<AcctRecord, string>();
  const mismatches: string[] = [];
  for (const x of c.all) {
    if (x === session) continue;
    const root = rootOf(x);
    phaseOf.set(x, root ? (phaseOfRoot.get(root) ?? UNATTRIBUTED) : UNATTRIBUTED);
    // a tool process's channel must have asked for that tool
    if (root && c.toolHeads.includes(x)) {
      const command = (r.execs[roots.indexOf(root)] as TracedExec).command;
      if (!command.includes(x.comm)) mismatches.push(`${x.comm} (pid ${x.pid}) under a channel that ran: ${command.slice(0, 80)}`);
    }
  }
  return { phaseOf, mismatches };
}

// --- part 1: per job, edgebench vs plain ssh ----------------------------------------------------

interface Case {
  name: string;
  benchmark: string;
  params: (t: ToolTimes, lab: Lab) => Record<string, unknown>;
  /** The tool's run time is its client's on the test machine (network), not a DUT record's. */
  clientTimed: boolean;
  /** The plain-ssh job; returns its wall time in ms. */
  plain: (lab: Lab, t: ToolTimes) => Promise<number>;
}

const mustSucceed = (what: string, r: Ran) => {
  if (r.code !== 0) throw new Error(`plain ${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).slice(-400)}`);
};

function streamPath(lab: Lab): string {
  return (lab.dut.benchmarks as { stream: { path: string } }).stream.path;
}

function streamCase(): Case {
  return {
    name: 'stream native (1 suite)',
    benchmark: 'stream',
    clientTimed: false,
    params: (_t, lab) => ({ modes: ['native'], suites: ['stream'], array_mib: ARRAY_MIB, path: streamPath(lab) }),
    async plain(lab) {
      // lmbench's variables as a script sets them; the braces merge stderr, where stream prints
      const r = await ssh(lab, `{ ENOUGH=100000 TIMING_O=0 LOOP_O=0 ${streamPath(lab)} -M ${3 * ARRAY_MIB}M; } 2>&1`);
      mustSucceed('stream', r);
      if (!r.stdout.includes('STREAM copy bandwidth')) throw new Error(`plain stream printed no result: ${r.stdout.slice(-300)}`);
      return r.ms;
    },
  };
}

function linpackCase(): Case {
  return {
    name: `linpack native (hpcc, N ${LINPACK_N})`,
    benchmark: 'linpack',
    clientTimed: false,
    params: () => ({ modes: ['native'], instances: [1], n: LINPACK_N, block_size: LINPACK_NB }),
    async plain(lab) {
      // the script's working directory and hpccinf.txt are made once, before the runs
      const r = await ssh(
        lab,
        `cd ${PLAIN_HPCC_DIR} && : >hpccoutf.txt && OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 1 hpcc 2>&1; cat hpccoutf.txt`,
      );
      mustSucceed('hpcc', r);
      if (!r.stdout.includes('HPL_Tflops=')) throw new Error(`plain hpcc printed no HPL_Tflops: ${r.stdout.slice(-300)}`);
      return r.ms;
    },
  };
}

function netperfCase(netdev: 'host' | 'veth'): Case {
  return {
    name: `netperf ${netdev} TCP_RR ${NETPERF_S}s`,
    benchmark: 'netperf',
    clientTimed: true,
    params: (t) => ({ netdevs: [netdev], protocols: ['tcp'], duration: `${NETPERF_S}s`, client_path: t.wrap('netperf') }),
    async plain(lab, t) {
      const where = netdev === 'host' ? 'native' : container(lab, 'veth').name;
      const address = netdev === 'host' ? lab.dut.host : container(lab, 'veth').address;
      const t0 = performance.now();
      const start = await ssh(lab, onDut(lab, where, ['netserver', '-p', '12865']));
      const client = await run([t.wrap('netperf'), '-H', address, '-p', '12865', '-t', 'TCP_RR', '-l', `${NETPERF_S}`, '-P', '0']);
      const stop = await ssh(lab, onDut(lab, where, ['killall', 'netserver']));
      const ms = performance.now() - t0;
      mustSucceed('netserver start', start);
      mustSucceed('netperf client', client);
      mustSucceed('netserver stop', stop);
      return ms;
    },
  };
}

interface Sample {
  wallMs: number;
  toolMs: number;
  toolCpu: number;
  /** edgebench: the job's own processes; plain: every process but the tools and the sessions. */
  ownCpu: number;
  /** The SSH session(s) on the DUT: edgebench's one for the run, plain ssh's one per ssh. */
  sessionCpu: number;
  /** edgebench only: the round's start and end around the one job. */
  roundCpu: number;
  /** The login shell exec'd the DUT tool: its start is in the tool's record. */
  execd: boolean;
}

/** The DUT tool's run time: the elapsed time of its longest-lived own process (stream; mpirun for hpcc). */
function dutToolMs(heads: readonly AcctRecord[], sessions: readonly AcctRecord[]): { ms: number; execd: boolean } {
  if (heads.length === 0) throw new Error('no tool process on the DUT');
  const head = heads.reduce((a, b) => (b.elapsed > a.elapsed ? b : a));
  return { ms: head.elapsed * 1000, execd: sessions.some((s) => s.pid === head.ppid) };
}

function clientMs(runs: readonly ToolRun[], from: number, to: number): number {
  const own = runs.filter((x) => x.start >= from - 2 && x.end <= to + 2);
  if (own.length === 0) throw new Error('no netperf client run recorded during the job');
  return covered(own);
}

function edgebenchSample(cs: Case, r: TracedRun, records: AcctRecord[], mainDropbear: number, clientRuns: ToolRun[]): Sample {
  const job = r.jobs[0];
  if (!job?.ok || job.log.durationSeconds === undefined) throw new Error(`edgebench job failed: ${JSON.stringify(job?.log)}`);
  const c = classify(records, mainDropbear);
  const { phaseOf, mismatches } = phases(c, r);
  if (mismatches.length > 0) throw new Error(`channels and processes do not pair up: ${mismatches.join('; ')}`);
  const inJob = (x: AcctRecord) => phaseOf.get(x) === job.name;
  const jobTools = c.tools.filter(inJob);
  const tool = cs.clientTimed
    ? { ms: clientMs(clientRuns, job.start, job.end), execd: false }
    : dutToolMs(c.toolHeads.filter(inJob), c.sessions);
  return {
    wallMs: job.log.durationSeconds * 1000,
    toolMs: tool.ms,
    toolCpu: cpu(jobTools),
    ownCpu: cpu(c.own.filter(inJob)),
    sessionCpu: cpu(c.sessions),
    roundCpu: cpu(c.all.filter((x) => !c.sessions.includes(x) && !inJob(x))),
    execd: tool.execd,
  };
}

function plainSample(cs: Case, wallMs: number, records: AcctRecord[], mainDropbear: number, clientRuns: ToolRun[]): Sample {
  const c = classify(records, mainDropbear);
  const tool = cs.clientTimed ? { ms: covered(clientRuns), execd: false } : dutToolMs(c.toolHeads, c.sessions);
  return {
    wallMs,
    toolMs: tool.ms,
    toolCpu: cpu(c.tools),
    ownCpu: cpu(c.own),
    sessionCpu: cpu(c.sessions),
    roundCpu: 0,
    execd: tool.execd,
  };
}

// --- part 2: one round's CPU on the device ------------------------------------------------------

/** The lab's generated configuration, reduced to a round of a few minutes. */
function roundBenchmarks(lab: Lab): Record<string, unknown> {
  const b = structuredClone(lab.dut.benchmarks) as Record<string, Record<string, unknown>>;
  delete b.sysbench; // the mipsel image has none (its source is not on the mirror)
  if (b.linpack) b.linpack.instances = [1];
  if (b.iperf3) b.iperf3.instances = [1];
  return b;
}

const busySeconds = (a: CpuSnapshot, b: CpuSnapshot) => (b.busy - a.busy) / 100;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

// ------------------------------------------------------------------------------------------------

requireRoot('this benchmark');
const n = Number(o.runs);
console.log(`# what edgebench costs a slow device: an emulated MIPS 24Kc (QEMU), ${n} jobs per case and way\n# ${machine()}`);

await withLab(o.lab, ['--arch', 'mipsel'], async (lab) => {
  const guest = await Guest.open(lab);
  const times = new ToolTimes(`${o.lab}-${process.pid}`);
  const missed: string[] = [];
  try {
    const facts = await guest.sh('uname -m; uname -r; grep -m 1 "^cpu model" /proc/cpuinfo; read -r _ m _ </proc/meminfo; echo "$m"');
    const [arch, release, model, memKb] = facts.trim().split('\n');
    console.log(
      `# guest: ${arch} ${model?.replace(/^.*:\s*/, '')}, kernel ${release}, ${Math.round(Number(memKb) / 1024)} MiB, CLI ${cli}`,
    );

    // plain ssh's hpcc directory, as a script would keep one: the measured build's input (EDGEBENCH_CLI
    // may be an earlier commit's), so both ways run the same problem
    const linpack = (await import(pathToFileURL(join(dirname(cli), 'benchmarks', 'linpack.js')).href)) as Pick<typeof Linpack, 'hpccInput'>;
    await guest.sh(`mkdir -p ${PLAIN_HPCC_DIR} && cat >${PLAIN_HPCC_DIR}/hpccinf.txt`, linpack.hpccInput(LINPACK_N, LINPACK_NB));
    await guest.acctOn();

    // --- 1. orchestration per job -----------------------------------------------------------------
    const cases = [streamCase(), netperfCase('host'), netperfCase('veth'), linpackCase()];
    const timeRows: (string | number)[][] = [];
    const cpuRows: (string | number)[][] = [];
    const notes: string[] = [];
    for (const cs of cases) {
      const config = writeConfig(lab, `case-${cases.indexOf(cs)}.yml`, {
        benchmarks: { [cs.benchmark]: cs.params(times, lab) },
      });
      times.take();
      const marks: number[] = [await guest.mark()];
      const ebRuns: { r: TracedRun; client: ToolRun[] }[] = [];
      const plainRuns: { wall: number; client: ToolRun[] }[] = [];
      for (let i = 0; i < n; i++) {
        const r = await tracedRun(config, join(lab.work, `trace-${cases.indexOf(cs)}-${i}.jsonl`));
        ebRuns.push({ r, client: times.take() });
        marks.push(await guest.mark());
        const wall = await cs.plain(lab, times);
        plainRuns.push({ wall, client: times.take() });
        marks.push(await guest.mark());
      }
      // sessions that closed after the last switch are in the next file
      await sleep(1000);
      await guest.mark();
      const eb = ebRuns.map(({ r, client }, i) =>
        edgebenchSample(cs, r, guest.between(marks[2 * i] as number, marks[2 * i + 1] as number), guest.mainDropbear, client),
      );
      const plain = plainRuns.map(({ wall, client }, i) =>
        plainSample(cs, wall, guest.between(marks[2 * i + 1] as number, marks[2 * i + 2] as number), guest.mainDropbear, client),
      );
      if (plain.some((s) => s.execd)) notes.push(`${cs.name}: the plain login shell exec'd the tool: its start is in the tool's time`);
      const med = (s: Sample[], f: (x: Sample) => number) => median(s.map(f));
      const ms = (s: Sample[], f: (x: Sample) => number) => fixed(med(s, f), 0);
      const ebOver = med(eb, (s) => s.wallMs - s.toolMs);
      const plainOver = med(plain, (s) => s.wallMs - s.toolMs);
      timeRows.push([
        cs.name,
        ms(eb, (s) => s.wallMs),
        ms(eb, (s) => s.toolMs),
        fixed(ebOver, 0),
        ms(plain, (s) => s.wallMs),
        ms(plain, (s) => s.toolMs),
        fixed(plainOver, 0),
        fixed(ebOver / plainOver, 2),
      ]);
      const cpuMs = (x: number) => x * 1000;
      const plainAll = med(plain, (s) => cpuMs(s.ownCpu + s.sessionCpu));
      cpuRows.push([
        cs.name,
        ms(eb, (s) => cpuMs(s.toolCpu)),
        ms(plain, (s) => cpuMs(s.toolCpu)),
        ms(eb, (s) => cpuMs(s.ownCpu)),
        ms(eb, (s) => cpuMs(s.sessionCpu)),
        ms(eb, (s) => cpuMs(s.roundCpu)),
        ms(plain, (s) => cpuMs(s.sessionCpu)),
        ms(plain, (s) => cpuMs(s.ownCpu)),
        fixed(med(eb, (s) => cpuMs(s.ownCpu)) / plainAll, 2),
        fixed(med(eb, (s) => cpuMs(s.ownCpu + s.sessionCpu + s.roundCpu)) / plainAll, 2),
      ]);
      if (!(ebOver <= plainOver))
        missed.push(`${cs.name}: edgebench overhead ${ebOver.toFixed(0)} ms > plain ssh ${plainOver.toFixed(0)} ms`);
    }
    console.log(`\n## 1. orchestration per job (ms, medians of ${n}); load ${load()}`);
    console.log(
      table(['job', 'edgebench wall', 'tool', 'overhead', 'plain ssh wall', 'tool', 'overhead', 'overhead edgebench / ssh'], timeRows),
    );
    console.log(`\nCPU on the device per job (ms of user + system time, medians of ${n})`);
    console.log(
      table(
        [
          'job',
          'tool: edgebench',
          'ssh',
          'edgebench: job (shells, lxc-attach)',
          'its session',
          'its round start/end',
          'plain ssh: sessions',
          'shells',
          'edgebench job / ssh',
          'one-job run / ssh',
        ],
        cpuRows,
      ),
    );
    for (const note of notes) console.log(`note: ${note}`);

    // --- 2. one round's CPU on the device ---------------------------------------------------------
    const config = writeConfig(lab, 'round.yml', { benchmarks: roundBenchmarks(lab) });
    const idle0 = await guest.snapshot();
    await sleep(10_000);
    const idle1 = await guest.snapshot();
    const idleRate = busySeconds(idle0, idle1) / (idle1.uptime - idle0.uptime);
    const before = await guest.mark();
    const live0 = await guest.processes();
    const s0 = await guest.snapshot();
    const loadAtRound = load();
    const round = await tracedRun(config, join(lab.work, 'trace-round.jsonl'));
    await sleep(1000); // the session's own exit
    const s1 = await guest.snapshot();
    const live1 = await guest.processes();
    const after = await guest.mark();
    await sleep(500);
    await guest.mark();
    if (round.jobs.length === 0) throw new Error(`edgebench run reported no job (exit ${round.code}): ${round.stderr.slice(-500)}`);
    const records = guest.between(before, after);
    const c = classify(records, guest.mainDropbear);
    const { phaseOf, mismatches } = phases(c, round);
    const order = [ROUND_START, ...round.jobs.map((j) => j.name), BETWEEN, ROUND_END, UNATTRIBUTED];
    const rows: (string | number)[][] = [];
    for (const name of order) {
      const inPhase = (x: AcctRecord) => phaseOf.get(x) === name;
      const tools = name === ROUND_START || name === ROUND_END ? [] : c.tools.filter(inPhase);
      // tool names at the round's start are the version probes: edgebench's own
      const own = [...c.own, ...c.tools.filter((x) => !tools.includes(x))].filter(inPhase);
      const job = round.jobs.find((j) => j.name === name);
      if (!job && own.length === 0 && tools.length === 0) continue;
      const wall = job
        ? (job.end - job.start) / 1000
        : name === ROUND_START
          ? (Math.min(...round.jobs.map((j) => j.start)) - round.spawnedAt) / 1000
          : name === ROUND_END
            ? (round.exitedAt - Math.max(...round.jobs.map((j) => j.end))) / 1000
            : Number.NaN;
      rows.push([
        `${name}${job && !job.ok ? ' (FAILED)' : ''}`,
        fixed(wall, 1),
        fixed(cpu(tools), 2),
        fixed(cpu(own), 2),
        own.length,
        tools.length > 0 ? `${fixed((100 * cpu(own)) / cpu(tools), 1)} %` : '-',
        byCommand(own),
      ]);
    }
    const session = c.sessions;
    rows.push([
      'SSH session (dropbear, the whole round)',
      fixed((round.exitedAt - round.spawnedAt) / 1000, 1),
      '-',
      fixed(cpu(session), 2),
      session.length,
      '-',
      byCommand(session),
    ]);
    const roundTools = c.tools.filter((x) => phaseOf.get(x) !== ROUND_START && phaseOf.get(x) !== ROUND_END);
    const roundOwn = records.filter((x) => !roundTools.includes(x));
    const share = cpu(roundOwn) / cpu(roundTools);
    const shareMax = (cpu(roundOwn) + roundOwn.length * TRUNCATION_PER_RECORD_S) / cpu(roundTools);
    rows.push([
      'round',
      fixed((round.exitedAt - round.spawnedAt) / 1000, 1),
      fixed(cpu(roundTools), 2),
      fixed(cpu(roundOwn), 2),
      roundOwn.length,
      `${fixed(100 * share, 1)} %`,
      '',
    ]);
    console.log(
      `\n## 2. CPU on the device during one round (s of user + system time, BSD accounting), ${round.jobs.length} jobs; load ${loadAtRound}`,
    );
    console.log(
      table(['phase', 'wall s', 'tools CPU s', 'own CPU s', 'own processes', 'own / tools', 'own, by command (processes, CPU s)'], rows),
    );
    console.log(`\nedgebench's own processes over the round, by command:\n${byCommand(roundOwn)}`);
    console.log(
      `truncation: ${roundOwn.length} own records lose up to ${TRUNCATION_PER_RECORD_S * 1000} ms each: own / tools at most ${fixed(100 * shareMax, 1)} %`,
    );
    // the cross-check: what /proc/stat counted busy, against the records and the processes that
    // lived through the round (kernel threads, the lab's own), which leave no record
    const busy = busySeconds(s0, s1);
    const span = s1.uptime - s0.uptime;
    const ticks = (s1.total - s0.total) / 100;
    const recorded = cpu(records);
    const was = new Map(live0.map((p) => [p.key, p]));
    const lived = live1.flatMap((p) => {
      const p0 = was.get(p.key);
      return p0 ? [{ comm: p.comm.replace(/\/\d+$|[-:].*$/, ''), s: (p.ticks - p0.ticks) / 100 }] : [];
    });
    const livedBy = new Map<string, number>();
    for (const p of lived) livedBy.set(p.comm, (livedBy.get(p.comm) ?? 0) + p.s);
    const livedTop = [...livedBy]
      .filter(([, v]) => v >= 0.05)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ');
    const livedSum = sum(lived.map((p) => p.s));
    const sec = (a: number, b: number) => fixed((b - a) / 100, 2);
    console.log(
      `\ncross-check, the guest's /proc over the round: busy ${fixed(busy, 2)} s (user ${sec(s0.user, s1.user)}, system ${sec(s0.system, s1.system)}, ` +
        `irq ${sec(s0.irq, s1.irq)}, softirq ${sec(s0.softirq, s1.softirq)}) in ${fixed(span, 1)} s (ticks seen: ${fixed((100 * ticks) / span, 1)} % of the span)`,
    );
    console.log(`  = accounting records ${fixed(recorded, 2)} s (${records.length} processes)`);
    console.log(`  + processes alive throughout ${fixed(livedSum, 2)} s (${livedTop})`);
    console.log(
      `  + the rest ${fixed(busy - recorded - livedSum, 2)} s (ticks that found the idle task in an interrupt or softirq; records' truncation, up to ${fixed(records.length * TRUNCATION_PER_RECORD_S, 2)} s)`,
    );
    const softirqd = livedBy.get('ksoftirqd') ?? 0;
    console.log(
      `with the kernel's packet work in ksoftirqd (${fixed(softirqd, 2)} s: the network jobs' traffic) counted as the tools': ` +
        `own / tools ${fixed((100 * cpu(roundOwn)) / (cpu(roundTools) + softirqd), 1)} %`,
    );
    console.log(`idle guest before the round: ${fixed(idleRate * 1000, 1)} ms busy per s`);
    if (mismatches.length > 0) console.log(`channels and processes that do not pair up: ${mismatches.join('; ')}`);

    const failed = round.jobs.filter((j) => !j.ok);
    if (failed.length > 0) missed.push(`round: ${failed.length} job(s) failed: ${failed.map((j) => j.name).join(', ')}`);
    if (!(share < SHARE_TARGET))
      missed.push(`round: edgebench's own CPU ${(100 * share).toFixed(1)} % of the tools' >= ${100 * SHARE_TARGET} %`);
    verdict(missed);
  } finally {
    times.cleanup();
    await guest.close();
  }
});
