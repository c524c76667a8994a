// A DUT's whole exported state as plain JSON, so a restart can put back in /metrics exactly what
// was there: last good results, bookkeeping, counters.
import { DutResults } from '../engine/results.js';

export interface DutSnapshot {
  up: boolean | undefined;
  info: DutResults['info'];
  results: ReturnType<DutResults['results']['get']>[];
  runs: [string, ReturnType<DutResults['runs']['get']>][];
  runsTotal: [string, number][];
  failuresTotal: [string, ReturnType<DutResults['failuresTotal']['get']>][];
  perfSupported: [string, boolean][];
  toolVersions: [string, string][];
  /** Absent in a journal from before it existed. */
  benchmarkConfigs?: [string, string][];
  roundDurationSeconds: number | undefined;
  roundCompletedAt: number | undefined;
}

export function snapshotOf(state: DutResults): DutSnapshot {
  return {
    up: state.up,
    info: state.info,
    results: [...state.results.values()],
    runs: [...state.runs],
    runsTotal: [...state.runsTotal],
    failuresTotal: [...state.failuresTotal],
    perfSupported: [...state.perfSupported],
    toolVersions: [...state.toolVersions],
    benchmarkConfigs: [...state.benchmarkConfigs],
    roundDurationSeconds: state.roundDurationSeconds,
    roundCompletedAt: state.roundCompletedAt,
  };
}

/** Fills a fresh DutResults from a snapshot. */
export function restoreSnapshot(snapshot: DutSnapshot, state: DutResults = new DutResults()): DutResults {
  state.up = snapshot.up;
  state.info = snapshot.info;
  // a journal from before `settled` existed: its results were published as settled
  for (const r of snapshot.results) if (r) state.publish({ ...r, settled: r.settled ?? true });
  const fill = <V>(map: Map<string, V>, entries: [string, V | undefined][]) => {
    for (const [k, v] of entries) if (v !== undefined) map.set(k, v);
  };
  fill(state.runs, snapshot.runs);
  fill(state.runsTotal, snapshot.runsTotal);
  fill(state.failuresTotal, snapshot.failuresTotal);
  fill(state.perfSupported, snapshot.perfSupported);
  fill(state.toolVersions, snapshot.toolVersions);
  fill(state.benchmarkConfigs, snapshot.benchmarkConfigs ?? []);
  state.roundDurationSeconds = snapshot.roundDurationSeconds;
  state.roundCompletedAt = snapshot.roundCompletedAt;
  return state;
}
