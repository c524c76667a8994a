// One round on one DUT: connect, read what the DUT is, then run every planned job in turn (jobs on
// one DUT never overlap), repeating each and publishing it only once all repetitions succeeded.
// A failing job is counted and logged, and the round goes on with the next one.
import type { Logger } from 'pino';
import { benchmarks, findBenchmark } from '../benchmarks/index.js';
import type { Job } from '../benchmarks/types.js';
import type { DutConfig } from '../config/schema.js';
import { type FailureReason, JobError } from '../remote/errors.js';
import type { SshConnection } from '../remote/ssh-connection.js';
import type { DutInfo, DutResults } from './results.js';
import { type Statistics, statistics } from './statistics.js';

export interface JobOutcome {
  dut: string;
  job: Job;
  family: string;
  stats?: Statistics;
  error?: { reason: FailureReason; message: string };
  durationSeconds: number;
}

export interface RoundOptions {
  repetitions: number;
  /** Benchmarks to run; all the DUT lists when absent. */
  only?: ReadonlySet<string>;
  signal: AbortSignal;
  log: Logger;
  onJobDone?: (outcome: JobOutcome) => void;
}

const INFO_SCRIPT = [
  'uname -m',
  'uname -r',
  'if [ -r /etc/openwrt_release ]; then (. /etc/openwrt_release; echo "$DISTRIB_DESCRIPTION");',
  'elif [ -r /etc/os-release ]; then (. /etc/os-release; echo "$PRETTY_NAME"); else uname -s; fi',
  'lxc-start --version 2>/dev/null || echo none',
].join('\n');

async function readDutInfo(conn: SshConnection, signal: AbortSignal): Promise<DutInfo> {
  const res = await conn.exec(INFO_SCRIPT, { timeoutMs: 15_000, signal });
  const [arch = '', kernel = '', os = '', lxcVersion = ''] = res.stdout.split('\n').map((l) => l.trim());
  return { arch, kernel, os, lxcVersion };
}

export function planRound(dut: DutConfig, repetitions: number, only?: ReadonlySet<string>): Job[] {
  return benchmarks.flatMap((b) => {
    const params = (dut.benchmarks as Record<string, unknown>)[b.name];
    if (params === undefined || (only && !only.has(b.name))) return [];
    return b.plan(params as never, dut, { repetitions });
  });
}

const familyOf = (job: Job) => findBenchmark(job.benchmark)?.family.name ?? job.benchmark;

export async function runRound(dut: DutConfig, conn: SshConnection, state: DutResults, opts: RoundOptions): Promise<JobOutcome[]> {
  const started = performance.now();
  const log = opts.log.child({ dut: dut.name });
  const jobs = planRound(dut, opts.repetitions, opts.only);
  const outcomes: JobOutcome[] = [];

  try {
    await conn.connect();
    state.up = true;
    state.info = await readDutInfo(conn, opts.signal);
  } catch (err) {
    state.up = conn.connected;
    const reason = err instanceof JobError ? err.reason : 'connection';
    const message = (err as Error).message;
    log.error({ reason, err: message }, 'round skipped: DUT unreachable');
    for (const job of jobs) outcomes.push(fail(dut.name, job, state, reason, message, 0));
    recordRuns(outcomes, state);
    return outcomes;
  }

  for (const job of jobs) {
    if (opts.signal.aborted) break;
    const outcome = await runJob(dut.name, job, conn, state, opts.signal, log);
    state.up = conn.connected;
    outcomes.push(outcome);
    opts.onJobDone?.(outcome);
  }
  recordRuns(outcomes, state);
  if (!opts.signal.aborted) {
    state.roundDurationSeconds = (performance.now() - started) / 1000;
    state.roundCompletedAt = Date.now();
  }
  return outcomes;
}

async function runJob(
  dutName: string,
  job: Job,
  conn: SshConnection,
  state: DutResults,
  signal: AbortSignal,
  log: Logger,
): Promise<JobOutcome> {
  const started = performance.now();
  const values: number[] = [];
  try {
    for (let i = 0; i < job.repetitions; i++) {
      values.push(...(await job.runOnce({ exec: (cmd, o) => conn.exec(cmd, o), signal })));
    }
  } catch (err) {
    const e = err instanceof JobError ? err : new JobError('exit_status', (err as Error).message);
    const elapsed = (performance.now() - started) / 1000;
    log.error({ benchmark: job.benchmark, labels: job.labels, reason: e.reason, err: e.message }, 'job failed');
    return fail(dutName, job, state, e.reason, e.message, elapsed);
  }
  const stats = statistics(values);
  const durationSeconds = (performance.now() - started) / 1000;
  state.publish({ family: familyOf(job), labels: job.labels, stats, values, repetitions: job.repetitions, completedAt: Date.now() });
  state.countJob(job.benchmark);
  log.info(
    { benchmark: job.benchmark, labels: job.labels, mean: stats.mean, stddev: stats.stddev, n: stats.count, durationSeconds },
    'job done',
  );
  return { dut: dutName, job, family: familyOf(job), stats, durationSeconds };
}

function fail(dut: string, job: Job, state: DutResults, reason: FailureReason, message: string, durationSeconds: number): JobOutcome {
  state.countJob(job.benchmark, reason);
  return { dut, job, family: familyOf(job), error: { reason, message }, durationSeconds };
}

/** Bookkeeping per benchmark x mode x netdev: success only if all its jobs succeeded. */
function recordRuns(outcomes: readonly JobOutcome[], state: DutResults): void {
  const groups = new Map<string, JobOutcome[]>();
  for (const o of outcomes) {
    const key = `${o.job.benchmark}\0${o.job.mode}\0${o.job.netdev}`;
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  for (const group of groups.values()) {
    const { job } = group[0] as JobOutcome;
    const success = group.every((o) => !o.error);
    state.recordRun({
      benchmark: job.benchmark,
      mode: job.mode,
      netdev: job.netdev,
      success,
      lastSuccessAt: success ? Date.now() : undefined,
      durationSeconds: group.reduce((a, o) => a + o.durationSeconds, 0),
      repetitions: Math.min(...group.map((o) => o.job.repetitions)),
    });
  }
}
