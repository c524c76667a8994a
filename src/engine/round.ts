// One round on one DUT: connect, read what the DUT is, make the jobs' working directories, then run
// every planned job in turn (jobs on one DUT never overlap), repeating each and publishing it only
// once all repetitions succeeded; then remove the working directories.
// A failing job is counted and logged, and the round goes on with the next one.
import type { Logger } from 'pino';
import { benchmarkNames, planBenchmark } from '../benchmarks/index.js';
import type { Job, JobContext } from '../benchmarks/job.js';
import type { Repetitions } from '../config/fields.js';
import type { DutConfig } from '../config-file/schema.js';
import type { DutExec } from '../remote/dut-session.js';
import { JobError } from '../remote/errors.js';
import { type LocalExec, localExec } from '../remote/local-exec.js';
import type { SshConnection } from '../remote/ssh-connection.js';
import { readDutInfo, readToolVersions } from './dut-facts.js';
import { fail, type JobOutcome, runJob } from './job-runner.js';
import { parametersHash } from './json-hash.js';
import type { DutResults } from './results.js';
import { TrafficLinks } from './traffic-links.js';
import { RoundWorkDirs } from './work-dirs.js';

export interface RoundOptions {
  repetitions: Repetitions;
  /** Benchmarks to run; all the DUT lists when absent. */
  only?: ReadonlySet<string>;
  signal: AbortSignal;
  log: Logger;
  /** Shared by all DUTs' rounds, so network jobs crossing one TM link never overlap. */
  links?: TrafficLinks;
  local?: LocalExec;
  onJobDone?: (outcome: JobOutcome) => void;
}

export function planRound(dut: DutConfig, repetitions: Repetitions, only?: ReadonlySet<string>): Job[] {
  return benchmarkNames.flatMap((name) => {
    const params = dut.benchmarks[name];
    if (params === undefined || (only && !only.has(name))) return [];
    return planBenchmark(name, params, dut, { repetitions });
  });
}

export async function runRound(dut: DutConfig, conn: SshConnection, state: DutResults, opts: RoundOptions): Promise<JobOutcome[]> {
  const started = performance.now();
  const log = opts.log.child({ dut: dut.name });
  const jobs = planRound(dut, opts.repetitions, opts.only);
  const outcomes: JobOutcome[] = [];
  const planned = new Set(jobs.map((j) => j.benchmark));
  for (const name of benchmarkNames) if (planned.has(name)) state.benchmarkConfigs.set(name, parametersHash(dut.benchmarks[name]));

  try {
    await conn.connect();
    state.up = true;
    state.info = await readDutInfo(conn, opts.signal);
  } catch (err) {
    state.up = conn.connected;
    const reason = err instanceof JobError ? err.reason : 'connection';
    const message = (err as Error).message;
    log.error({ reason, err: message }, 'round skipped: DUT unreachable');
    const now = Date.now();
    for (const job of jobs) {
      const outcome = fail(dut.name, job, state, new JobError(reason, message), now, now);
      outcomes.push(outcome);
      opts.onJobDone?.(outcome);
    }
    recordRuns(outcomes, state);
    return outcomes;
  }
  try {
    const versions = await readToolVersions(conn, dut, opts.signal);
    state.toolVersions.clear();
    for (const [benchmark, version] of versions) state.toolVersions.set(benchmark, version);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not read the tool versions: the journal records none this round');
  }

  const links = opts.links ?? new TrafficLinks();
  const exec: DutExec = (cmd, o) => conn.exec(cmd, o);
  const workDirs = new RoundWorkDirs(
    dut.name,
    jobs.flatMap((j) => j.workDirs ?? []),
  );
  await workDirs.make(exec, opts.signal);
  const ctx: JobContext = {
    dut: dut.name,
    exec,
    local: opts.local ?? localExec,
    signal: opts.signal,
    perfSupported: (event, supported) => state.perfSupported.set(event, supported),
    workDir: (d) => workDirs.path(d),
  };
  try {
    for (const job of jobs) {
      if (opts.signal.aborted) break;
      const run = () => runJob(job, ctx, state, log);
      const outcome = job.trafficTo ? await links.exclusive(job.trafficTo, run) : await run();
      state.up = conn.connected;
      outcomes.push(outcome);
      opts.onJobDone?.(outcome);
    }
  } finally {
    // a cancelled round's connection is being closed: removing them would open another
    const left = opts.signal.aborted ? workDirs.made() : await workDirs.remove(exec);
    if (left.length > 0) log.warn({ dirs: left }, 'working directories of this round left on the DUT');
  }
  recordRuns(outcomes, state);
  if (!opts.signal.aborted) {
    state.roundDurationSeconds = (performance.now() - started) / 1000;
    state.roundCompletedAt = Date.now();
  }
  return outcomes;
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
      repetitions: success ? Math.min(...group.map((o) => o.repetitions)) : undefined,
    });
  }
}
