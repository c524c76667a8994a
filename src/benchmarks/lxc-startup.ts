// What an LXC container costs to start and to keep, on the DUT: the time from lxc-start to the
// container's init running, from lxc-stop to stopped, and the memory the running idle container
// holds (its memory cgroup's counter, and the DUT's MemAvailable stopped and running). The paper
// cites LXC's footprint and plans redeployment studies but measures neither.
//
// One repetition is two commands on the DUT, with the container idling between them for `settle`
// (the test machine waits, the DUT runs nothing). The DUT prints a marker line as each step
// starts and ends, and the test machine times their arrival: no clock of the DUT's is needed
// (busybox date has whole seconds), and both markers of a step cross the same SSH channel.
import { z } from 'zod';
import type { DutTarget } from '../config/dut.js';
import { duration, maxOutputBytes, repetitions, safeName } from '../config/fields.js';
import { JobError } from '../remote/errors.js';
import { native, onDut } from '../remote/exec-context.js';
import { shellQuote } from '../remote/shell-quote.js';
import { parsed, toolFailure } from '../remote/tool-failure.js';
import type { Benchmark, ParamIssue, ResultFamily } from './benchmark.js';
import type { Job, JobContext, Repetition } from './job.js';
import { jobBase } from './job-base.js';

const params = z.strictObject({
  container: safeName.meta({
    description: 'A stopped LXC container of its own (never the veth, macvlan or pool containers): each repetition starts and stops it',
  }),
  settle: duration('2s').prefault('2s').meta({ description: 'How long the started container idles before its memory is read' }),
  repetitions: repetitions.optional(),
  timeout: duration('2m').prefault('2m').meta({ description: 'Per repetition: start, settle and stop together' }),
  max_output_bytes: maxOutputBytes,
});
type Params = z.output<typeof params>;

/** Marker lines, printed as each step starts and ends. */
export const MARK = {
  start: '@@edgebench lxc-start@@',
  running: '@@edgebench init running@@',
  stop: '@@edgebench lxc-stop@@',
  stopped: '@@edgebench stopped@@',
} as const;
type Mark = keyof typeof MARK;

const start: ResultFamily = {
  name: 'edgebench_lxc_start_duration_seconds',
  help: 'Time from lxc-start to the container init running, timed by the test machine from markers the DUT prints',
  labelNames: [],
  title: 'LXC container start time',
  legend: '',
  higherIsBetter: false,
  display: { symbol: 's', grafana: 's' },
};
const stop: ResultFamily = {
  ...start,
  name: 'edgebench_lxc_stop_duration_seconds',
  help: 'Time from lxc-stop to the container stopped (its init ends on lxc.signal.halt), timed as the start',
  title: 'LXC container stop time',
};
const cgroupMemory: ResultFamily = {
  name: 'edgebench_lxc_cgroup_memory_bytes',
  help: "The running idle container's memory cgroup counter (memory.current, or memory.usage_in_bytes on cgroup v1); absent where LXC gives the container no memory cgroup",
  labelNames: [],
  title: 'LXC container memory (cgroup)',
  legend: '',
  higherIsBetter: false,
  display: { symbol: 'MB', grafana: 'decmbytes', divisor: 1e6 },
};
const memAvailable: ResultFamily = {
  name: 'edgebench_lxc_memavailable_bytes',
  help: "The DUT's MemAvailable with the container stopped and with it running idle (state), before and after its start",
  labelNames: ['state'],
  title: 'DUT MemAvailable, container stopped and running',
  legend: '{{state}}',
  higherIsBetter: true,
  display: { symbol: 'MB', grafana: 'decmbytes', divisor: 1e6 },
};

/** What the two scripts print besides their markers. */
export interface LxcStartupSample {
  /** The state the container was found in before the start. */
  foundState?: string;
  /** /proc/meminfo's MemAvailable, in kB as printed, in the order read (stopped, then running). */
  memAvailableKib: number[];
  cgroupMemoryBytes?: number;
  marks: Mark[];
}

const KEYS = /^(found_state|memavailable_kib|cgroup_memory_bytes) (\S+)$/;

/** Parses the output of the start or the stop script (or both, one after the other). */
export function parseLxcStartup(text: string): LxcStartupSample {
  const sample: LxcStartupSample = { memAvailableKib: [], marks: [] };
  const marks = Object.entries(MARK) as [Mark, string][];
  for (const line of text.split('\n')) {
    const mark = marks.find(([, m]) => m === line)?.[0];
    if (mark) {
      sample.marks.push(mark);
      continue;
    }
    const m = KEYS.exec(line);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'found_state') {
      sample.foundState = value;
      continue;
    }
    if (!/^\d{1,15}$/.test(value))
      throw new Error(`not edgebench lxc_startup output: ${key} is not a whole number: "${value.slice(0, 40)}"`);
    if (key === 'memavailable_kib') sample.memAvailableKib.push(Number(value));
    else sample.cgroupMemoryBytes = Number(value);
  }
  if (sample.marks.length === 0) throw new Error('not edgebench lxc_startup output: no marker line');
  return sample;
}

const lxc = (tool: string, p: string, n: string, ...rest: string[]) => [tool, '-P', shellQuote(p), '-n', shellQuote(n), ...rest].join(' ');

// MemAvailable from /proc/meminfo with builtins; kernels before 3.14 have none, and say so by its absence
const MEMINFO = 'while read -r k v _; do [ "$k" = MemAvailable: ] && echo "memavailable_kib $v"; done </proc/meminfo';

/**
 * Stops a container a cancelled round left running (it is this benchmark's own), reads MemAvailable,
 * starts the container and waits for its init: LXC reports RUNNING as it lets the child exec init,
 * so the child may still be lxc-start for an instant (builtins only: no process on a 1-core DUT).
 */
export function startScript(lxcPath: string, name: string): string {
  return [
    `s=$(${lxc('lxc-info', lxcPath, name, '-sH')}) || exit $?`,
    'echo "found_state $s"',
    `[ "$s" = STOPPED ] || ${lxc('lxc-stop', lxcPath, name, '-k')} || exit $?`,
    MEMINFO,
    `echo '${MARK.start}'`,
    `${lxc('lxc-start', lxcPath, name)} || exit $?`,
    `pid=$(${lxc('lxc-info', lxcPath, name, '-pH')}) || exit $?`,
    'while read -r c <"/proc/$pid/comm" && [ "$c" = lxc-start ]; do :; done',
    `echo '${MARK.running}'`,
    // after the marker, so that it is not timed: init may have died at once
    `s=$(${lxc('lxc-info', lxcPath, name, '-sH')}) && [ "$s" = RUNNING ] || { echo "container ${name} is $s after lxc-start" >&2; exit 1; }`,
  ].join('\n');
}

/** Reads the running container's memory (cgroup v2, else v1) and MemAvailable, then stops it. */
export function stopScript(lxcPath: string, name: string): string {
  const cgroup = (file: string) => `${lxc('lxc-cgroup', lxcPath, name, file)} 2>/dev/null`;
  return [
    `m=$(${cgroup('memory.current')} || ${cgroup('memory.usage_in_bytes')}) && echo "cgroup_memory_bytes $m"`,
    MEMINFO,
    `echo '${MARK.stop}'`,
    `${lxc('lxc-stop', lxcPath, name)} || exit $?`,
    `echo '${MARK.stopped}'`,
  ].join('\n');
}

interface Timed {
  output: string;
  /** performance.now() when each marker's line arrived. */
  at: Map<Mark, number>;
}

/** Runs a script on the DUT, noting when each marker arrives; a failure names the step and the DUT. */
async function timedExec(ctx: JobContext, script: string, timeoutMs: number, step: string): Promise<Timed> {
  const at = new Map<Mark, number>();
  let tail = '';
  const res = await ctx.exec(script, {
    timeoutMs,
    signal: ctx.signal,
    onStdout(chunk) {
      const now = performance.now();
      // only a tail is kept: a marker split across chunks is still found, and a flood costs nothing here
      tail = (tail + chunk).slice(-256);
      for (const [mark, line] of Object.entries(MARK) as [Mark, string][])
        if (!at.has(mark) && tail.includes(`${line}\n`)) at.set(mark, now);
    },
  });
  const output = `${res.stdout}${res.stderr}`;
  const failure = toolFailure(step, onDut(ctx.dut, native), res.exitCode, output);
  if (failure) throw failure;
  return { output, at };
}

function seconds(t: Timed, from: Mark, to: Mark, where: string): number {
  const a = t.at.get(from);
  const b = t.at.get(to);
  if (a === undefined || b === undefined)
    throw new JobError('parse', `lxc_startup on ${where}: no "${MARK[a === undefined ? from : to]}" line`, t.output);
  return (b - a) / 1000;
}

async function measure(ctx: JobContext, p: Params, lxcPath: string): Promise<Repetition> {
  const deadline = performance.now() + p.timeout;
  const left = () => Math.max(1, deadline - performance.now());
  const where = onDut(ctx.dut, native);
  const started = await timedExec(ctx, startScript(lxcPath, p.container), left(), `lxc-start ${p.container}`);
  let stopped: Timed | undefined;
  try {
    const before = parsed('lxc_startup', where, started.output, parseLxcStartup);
    await settle(p.settle, ctx.signal);
    stopped = await timedExec(ctx, stopScript(lxcPath, p.container), left(), `lxc-stop ${p.container}`);
    const running = parsed('lxc_startup', where, stopped.output, parseLxcStartup);
    const [stoppedKib] = before.memAvailableKib;
    const [runningKib] = running.memAvailableKib;
    const memory = [
      ...(running.cgroupMemoryBytes === undefined ? [] : [{ family: cgroupMemory.name, value: running.cgroupMemoryBytes }]),
      ...(stoppedKib === undefined ? [] : [{ family: memAvailable.name, labels: { state: 'stopped' }, value: stoppedKib * 1024 }]),
      ...(runningKib === undefined ? [] : [{ family: memAvailable.name, labels: { state: 'running' }, value: runningKib * 1024 }]),
    ];
    const notes = [
      ...(before.foundState === 'STOPPED'
        ? []
        : [`container ${p.container} was ${before.foundState}, left by an interrupted round: stopped it first`]),
      ...(running.cgroupMemoryBytes === undefined
        ? [`container ${p.container} has no memory cgroup (none mounted where LXC looks): no cgroup memory`]
        : []),
      ...(stoppedKib === undefined ? ['the DUT kernel has no MemAvailable (before 3.14): no MemAvailable figures'] : []),
    ];
    return {
      values: [seconds(started, 'start', 'running', where)],
      extra: [{ family: stop.name, value: seconds(stopped, 'stop', 'stopped', where) }, ...memory],
      ...(notes.length > 0 ? { notes } : {}),
    };
  } finally {
    // a failure between start and stop must not leave the container running for the next round
    if (!stopped?.at.has('stopped') && !ctx.signal.aborted) {
      await ctx.exec(`${lxc('lxc-stop', lxcPath, p.container, '-k')} 2>/dev/null`, { timeoutMs: 30_000 }).catch(() => undefined);
    }
  }
}

function settle(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new JobError('cancelled', 'cancelled while the container settled'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new JobError('cancelled', 'cancelled while the container settled'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The container must be the benchmark's own: the other jobs measure in theirs while it starts and stops. */
function check(p: Params, dut: DutTarget): ParamIssue[] {
  const { veth, macvlan, pool } = dut.containers;
  const taken = [
    ...(veth ? [[veth.name, 'containers.veth']] : []),
    ...(macvlan ? [[macvlan.name, 'containers.macvlan']] : []),
    ...pool.map((n) => [n, 'containers.pool']),
  ].find(([n]) => n === p.container);
  return taken
    ? [{ path: ['container'], message: `"${p.container}" is ${taken[1]}'s container: lxc_startup starts and stops a container of its own` }]
    : [];
}

function plan(p: Params, dut: DutTarget, defaults: Pick<Job, 'repetitions'>): Job[] {
  return [
    {
      ...jobBase('lxc_startup', start, p, defaults),
      mode: 'lxc',
      netdev: '',
      labels: {},
      measure: (ctx) => measure(ctx, p, dut.lxc_path),
    },
  ];
}

export const lxc_startup: Benchmark<Params> = {
  name: 'lxc_startup',
  order: 40,
  families: [start, stop, cgroupMemory, memAvailable],
  params,
  parsers: { lxc_startup: parseLxcStartup },
  check,
  plan,
};
