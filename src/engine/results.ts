// The latest state of every DUT: results of the last completed jobs and the bookkeeping behind
// the exporter's families. Only whole jobs are written here, so a scrape never sees half a job,
// and a failure never overwrites a good value.
import type { FailureReason } from '../remote/errors.js';
import type { Statistics } from './statistics.js';

export interface JobResult {
  family: string;
  labels: Record<string, string>;
  stats: Statistics;
  /** Every raw value, per repetition (one per instance, or one), warm-up excluded. */
  samples: number[][];
  repetitions: number;
  /** Relative standard deviation over all values, in percent. */
  rsdPercent: number;
  completedAt: number;
}

export interface RunStatus {
  benchmark: string;
  mode: string;
  netdev: string;
  success: boolean;
  lastSuccessAt: number | undefined;
  durationSeconds: number;
  /** Behind the last good result: kept from the previous run when this one failed. */
  repetitions: number | undefined;
}

export interface DutInfo {
  arch: string;
  kernel: string;
  os: string;
  lxcVersion: string;
}

export class DutResults {
  up: boolean | undefined;
  info: DutInfo | undefined;
  readonly results = new Map<string, JobResult>();
  readonly runs = new Map<string, RunStatus>();
  readonly runsTotal = new Map<string, number>();
  readonly failuresTotal = new Map<string, { benchmark: string; reason: FailureReason; count: number }>();
  /** Per perf event: whether the DUT's kernel counts it. */
  readonly perfSupported = new Map<string, boolean>();
  /** Per benchmark: the first line of its DUT-side tool's version, as read at the round's start. */
  readonly toolVersions = new Map<string, string>();
  roundDurationSeconds: number | undefined;
  roundCompletedAt: number | undefined;

  publish(result: JobResult): void {
    this.results.set(`${result.family}${JSON.stringify(result.labels)}`, result);
  }

  recordRun(status: RunStatus): void {
    const key = `${status.benchmark}\0${status.mode}\0${status.netdev}`;
    const previous = this.runs.get(key);
    this.runs.set(key, {
      ...status,
      lastSuccessAt: status.success ? status.lastSuccessAt : previous?.lastSuccessAt,
      repetitions: status.repetitions ?? previous?.repetitions,
    });
  }

  countJob(benchmark: string, failure?: FailureReason): void {
    this.runsTotal.set(benchmark, (this.runsTotal.get(benchmark) ?? 0) + 1);
    if (!failure) return;
    const key = `${benchmark}\0${failure}`;
    const entry = this.failuresTotal.get(key) ?? { benchmark, reason: failure, count: 0 };
    entry.count += 1;
    this.failuresTotal.set(key, entry);
  }
}

export class ResultsStore {
  readonly duts = new Map<string, DutResults>();

  dut(name: string): DutResults {
    let entry = this.duts.get(name);
    if (!entry) {
      entry = new DutResults();
      this.duts.set(name, entry);
    }
    return entry;
  }

  /** Forgets DUTs no longer configured, so they disappear from /metrics. */
  retain(names: ReadonlySet<string>): void {
    for (const name of this.duts.keys()) if (!names.has(name)) this.duts.delete(name);
  }
}
