// The latest state of every DUT: results of the last completed jobs and the bookkeeping behind
// the exporter's families. Only whole jobs are written here, so a scrape never sees half a job,
// and a failure never overwrites a good value.
import type { FailureReason } from '../remote/errors.js';
import type { Statistics } from './statistics.js';

/** A series' last good result. Its raw values are in the journal, not here: /metrics needs none. */
export interface JobResult {
  family: string;
  labels: Readonly<Record<string, string>>;
  stats: Statistics;
  repetitions: number;
  /** Relative standard deviation over all values, in percent. */
  rsdPercent: number;
  /** False when an adaptive job ended with this series' spread above its max_rsd_percent. */
  settled: boolean;
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

let lastGeneration = 0;

// One copy of each family name, label set and key for all DUTs: 500 DUTs restored from the journal
// held one each (bench/RESULTS.md, RSS). They are few: families x modes x instances x netdevs.
const strings = new Map<string, string>();
const labelSets = new Map<string, Readonly<Record<string, string>>>();
function intern(s: string): string {
  const known = strings.get(s);
  if (known !== undefined) return known;
  strings.set(s, s);
  return s;
}
function internLabels(labels: Readonly<Record<string, string>>): { key: string; labels: Readonly<Record<string, string>> } {
  const key = intern(JSON.stringify(labels));
  let shared = labelSets.get(key);
  if (!shared) {
    shared = Object.freeze(Object.fromEntries(Object.entries(labels).map(([k, v]) => [intern(k), intern(v)])));
    labelSets.set(key, shared);
  }
  return { key, labels: shared };
}

/** A Map that reports every change, so that /metrics renders a DUT again only when it changed. */
class WatchedMap<K, V> extends Map<K, V> {
  constructor(private readonly changed: () => void) {
    super();
  }
  override set(key: K, value: V): this {
    super.set(key, value);
    this.changed();
    return this;
  }
  override delete(key: K): boolean {
    const had = super.delete(key);
    if (had) this.changed();
    return had;
  }
  override clear(): void {
    super.clear();
    this.changed();
  }
}

export class DutResults {
  /** Changes with every write, unique across all DUTs (a DUT removed and added again differs). */
  generation = ++lastGeneration;
  private readonly touch = () => {
    this.generation = ++lastGeneration;
  };
  private readonly scalars: {
    up?: boolean;
    info?: DutInfo;
    roundDurationSeconds?: number;
    roundCompletedAt?: number;
    roundIntervalSeconds?: number;
  } = {};
  readonly results = new WatchedMap<string, JobResult>(this.touch);
  readonly runs = new WatchedMap<string, RunStatus>(this.touch);
  readonly runsTotal = new WatchedMap<string, number>(this.touch);
  readonly failuresTotal = new WatchedMap<string, { benchmark: string; reason: FailureReason; count: number }>(this.touch);
  /** Per perf event: whether the DUT's kernel counts it. */
  readonly perfSupported = new WatchedMap<string, boolean>(this.touch);
  /** Per benchmark: the first line of its DUT-side tool's version, as read at the round's start. */
  readonly toolVersions = new WatchedMap<string, string>(this.touch);
  /** Per benchmark: a hash of its parameters in the last round (a change of them explains a step). */
  readonly benchmarkConfigs = new WatchedMap<string, string>(this.touch);

  get up(): boolean | undefined {
    return this.scalars.up;
  }
  set up(up: boolean | undefined) {
    this.set({ up });
  }
  get info(): DutInfo | undefined {
    return this.scalars.info;
  }
  set info(info: DutInfo | undefined) {
    this.set({ info });
  }
  get roundDurationSeconds(): number | undefined {
    return this.scalars.roundDurationSeconds;
  }
  set roundDurationSeconds(roundDurationSeconds: number | undefined) {
    this.set({ roundDurationSeconds });
  }
  get roundCompletedAt(): number | undefined {
    return this.scalars.roundCompletedAt;
  }
  set roundCompletedAt(roundCompletedAt: number | undefined) {
    this.set({ roundCompletedAt });
  }
  /** How far apart its rounds are meant to be (round-interval.ts): set by its loop, not journaled. */
  get roundIntervalSeconds(): number | undefined {
    return this.scalars.roundIntervalSeconds;
  }
  set roundIntervalSeconds(roundIntervalSeconds: number | undefined) {
    this.set({ roundIntervalSeconds });
  }
  private set(change: Partial<DutResults['scalars']>): void {
    Object.assign(this.scalars, change);
    this.touch();
  }

  publish(result: JobResult): void {
    const family = intern(result.family);
    const { key, labels } = internLabels(result.labels);
    const { stats, repetitions, rsdPercent, settled, completedAt } = result; // and nothing else (an old snapshot's samples)
    this.results.set(intern(`${family}${key}`), { family, labels, stats, repetitions, rsdPercent, settled, completedAt });
  }

  recordRun(status: RunStatus): void {
    const key = intern(`${status.benchmark}\0${status.mode}\0${status.netdev}`);
    const previous = this.runs.get(key);
    this.runs.set(key, {
      ...status,
      benchmark: intern(status.benchmark),
      mode: intern(status.mode),
      netdev: intern(status.netdev),
      lastSuccessAt: status.success ? status.lastSuccessAt : previous?.lastSuccessAt,
      repetitions: status.repetitions ?? previous?.repetitions,
    });
  }

  /** Failed jobs of a benchmark for one reason, 0 if none. */
  failures(benchmark: string, reason: FailureReason): number {
    return this.failuresTotal.get(`${benchmark}\0${reason}`)?.count ?? 0;
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

  /** Changes with every write to a DUT's results, and with every DUT added or forgotten. */
  get generation(): number {
    return lastGeneration;
  }

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
    for (const name of this.duts.keys()) {
      if (names.has(name)) continue;
      this.duts.delete(name);
      lastGeneration++;
    }
  }
}
