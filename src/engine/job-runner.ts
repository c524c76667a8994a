// One job: its repetitions under the repetition policy, then every series it measured published
// at once, or, on the first failure, nothing published and the failure counted. A scrape never sees
// half a job, and a failure never overwrites the last good value.
import type { Logger } from 'pino';
import type { Job, JobContext, Repetition } from '../benchmarks/job.js';
import { type FailureReason, JobError } from '../remote/errors.js';
import { repeat, rsdPercent as rsdPercentOf } from './repetitions.js';
import type { DutResults } from './results.js';
import { type Statistics, statistics } from './statistics.js';

export interface SeriesResult {
  family: string;
  labels: Record<string, string>;
  stats: Statistics;
  /** False when an adaptive job ended with this series' spread above its max_rsd_percent. */
  settled: boolean;
  /** Every raw value, per repetition. */
  samples: number[][];
}

export interface JobOutcome {
  dut: string;
  job: Job;
  /** What was published: the job's own series first. Empty when the job failed. */
  series: SeriesResult[];
  /** Counted repetitions (warm-up excluded); 0 when the job failed. */
  repetitions: number;
  error?: { reason: FailureReason; message: string; output?: string };
  /** Why a successful job's run differs from the method's rule (Repetition.notes), once each. */
  notes?: string[];
  /** Wall time from the job's start (after waiting for its TM link) to its end. */
  durationSeconds: number;
  startedAt: number;
  endedAt: number;
}

/** The context with every command of the job bounded by its max_output_bytes (a call may ask for less). */
function bounded(job: Job, ctx: JobContext): JobContext {
  const maxOutputBytes = job.maxOutputBytes;
  return {
    ...ctx,
    exec: (command, opts) => ctx.exec(command, { maxOutputBytes, ...opts }),
    local: (argv, opts) => ctx.local(argv, { maxOutputBytes, ...opts }),
  };
}

export async function runJob(job: Job, unbounded: JobContext, state: DutResults, log: Logger): Promise<JobOutcome> {
  const ctx = bounded(job, unbounded);
  const startedAt = Date.now();
  let runs: Repetition[];
  let rsdPercent: number;
  try {
    ({ runs, rsdPercent } = await repeat(
      job.repetitions,
      async () => measured(job, await job.measure(ctx)),
      (r) => r.values,
    ));
  } catch (err) {
    const e = err instanceof JobError ? err : new JobError('exit_status', (err as Error).message);
    log.error({ benchmark: job.benchmark, labels: job.labels, reason: e.reason, err: e.message }, 'job failed');
    return fail(ctx.dut, job, state, e, startedAt, Date.now());
  }
  const endedAt = Date.now();
  // a fixed count has no spread to reach: only an adaptive job can end unsettled
  const { min, max, max_rsd_percent } = job.repetitions;
  const settledAt = (rsd: number) => min === max || rsd <= max_rsd_percent;
  const published = collectSeries(job, runs).map(({ family, labels, samples }) => {
    const stats = statistics(samples.flat());
    const rsd = rsdPercentOf(samples.flat());
    const settled = settledAt(rsd);
    state.publish({ family, labels, stats, repetitions: runs.length, rsdPercent: rsd, settled, completedAt: endedAt });
    return { family, labels, stats, samples, settled };
  });
  state.countJob(job.benchmark);
  const durationSeconds = (endedAt - startedAt) / 1000;
  const notes = [...new Set(runs.flatMap((r) => r.notes ?? []))];
  if (!settledAt(rsdPercent)) {
    notes.push(
      `did not settle: ${runs.length} repetitions (its maximum) left a relative spread of ${rsdPercent.toFixed(1)}%, above max_rsd_percent ${max_rsd_percent}%`,
    );
  }
  if (notes.length > 0) log.warn({ benchmark: job.benchmark, labels: job.labels, notes }, "job ran outside its method's rule");
  const own = published[0]?.stats;
  log.info(
    { benchmark: job.benchmark, labels: job.labels, mean: own?.mean, stddev: own?.stddev, n: runs.length, rsdPercent, durationSeconds },
    'job done',
  );
  return {
    dut: ctx.dut,
    job,
    series: published,
    repetitions: runs.length,
    durationSeconds,
    startedAt,
    endedAt,
    ...(notes.length > 0 && { notes }),
  };
}

/**
 * The repetition, once every value in it is a finite number >= 0: whatever a DUT printed, no NaN,
 * infinity or negative count, rate or time reaches /metrics (the parsers refuse them too).
 */
function measured(job: Job, run: Repetition): Repetition {
  const values = [...run.values, ...(run.extra ?? []).map((e) => e.value)];
  const bad = values.find((v) => !Number.isFinite(v) || v < 0);
  if (bad !== undefined || run.values.length === 0) {
    throw new JobError('parse', `${job.benchmark}: the output gave ${bad ?? 'no value'}, not a finite number >= 0`);
  }
  return run;
}

/** Groups a job's values by series; a series some repetition did not measure is left out. */
function collectSeries(job: Job, runs: readonly Repetition[]) {
  const series = new Map<string, { family: string; labels: Record<string, string>; samples: number[][] }>();
  const add = (family: string, labels: Record<string, string>, values: number[]) => {
    const key = `${family}${JSON.stringify(labels)}`;
    const entry = series.get(key) ?? { family, labels, samples: [] };
    entry.samples.push(values);
    series.set(key, entry);
  };
  for (const run of runs) {
    add(job.family, job.labels, run.values);
    for (const e of run.extra ?? []) add(e.family, { ...job.labels, ...e.labels }, [e.value]);
  }
  return [...series.values()].filter((s) => s.samples.length === runs.length);
}

export function fail(dut: string, job: Job, state: DutResults, e: JobError, startedAt: number, endedAt: number): JobOutcome {
  state.countJob(job.benchmark, e.reason);
  const error = { reason: e.reason, message: e.message, output: e.output };
  return { dut, job, series: [], error, repetitions: 0, durationSeconds: (endedAt - startedAt) / 1000, startedAt, endedAt };
}
