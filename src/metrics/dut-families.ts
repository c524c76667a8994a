// The per-DUT families of the metric contract (docs/metrics.md): results, and the bookkeeping of
// connections, runs, failures and rounds. Each renders one DUT's samples from its DutResults, so a
// DUT is rendered again only when its results change (metrics-body.ts).
import { benchmarks } from '../benchmarks/index.js';
import type { DutResults, JobResult, RunStatus } from '../engine/results.js';
import { FAILURE_REASONS } from '../remote/errors.js';
import { familyHeader, type Labels, sampleLine } from './exposition-text.js';
import { samplesFamily, settledFamily, stddevFamily } from './family-names.js';

export interface DutFamily {
  header: string;
  /** Appends this DUT's sample lines. */
  render(dut: string, state: DutResults, out: string[]): void;
}

type Emit = (labels: Labels, value: number) => void;

function family(
  name: string,
  help: string,
  type: 'gauge' | 'counter',
  samples: (dut: string, state: DutResults, emit: Emit) => void,
): DutFamily {
  return {
    header: familyHeader(name, help, type),
    render(dut, state, out) {
      samples(dut, state, (labels, value) => out.push(sampleLine(name, labels, value)));
    },
  };
}

const seconds = (ms: number) => ms / 1000;

function resultFamilies(): DutFamily[] {
  return benchmarks.flatMap((b) =>
    b.families.flatMap((f) =>
      (
        [
          [f.name, f.help, (r: JobResult) => r.stats.mean],
          [stddevFamily(f.name), `Standard deviation over the repetitions behind ${f.name}`, (r: JobResult) => r.stats.stddev],
          [samplesFamily(f.name), `How many values ${f.name} is the mean of: repetitions x instances`, (r: JobResult) => r.stats.count],
          [
            settledFamily(f.name),
            `0 when the job behind ${f.name} stopped at its maximum repetitions with the spread above max_rsd_percent`,
            (r: JobResult) => (r.settled ? 1 : 0),
          ],
        ] as const
      ).map(([name, help, statOf]) =>
        family(name, help, 'gauge', (dut, state, emit) => {
          for (const r of state.results.values()) {
            if (r.family !== f.name) continue;
            emit({ dut, ...Object.fromEntries(f.labelNames.map((l) => [l, r.labels[l] ?? ''])) }, statOf(r));
          }
        }),
      ),
    ),
  );
}

const runGauge = (name: string, help: string, value: (r: RunStatus) => number | undefined) =>
  family(name, help, 'gauge', (dut, state, emit) => {
    for (const r of state.runs.values()) {
      const v = value(r);
      if (v !== undefined) emit({ dut, benchmark: r.benchmark, mode: r.mode, netdev: r.netdev }, v);
    }
  });

export const dutFamilies: readonly DutFamily[] = [
  ...resultFamilies(),
  family('edgebench_dut_up', '1 if the last connection attempt to the DUT succeeded', 'gauge', (dut, s, emit) => {
    if (s.up !== undefined) emit({ dut }, s.up ? 1 : 0);
  }),
  family('edgebench_dut_info', 'What the DUT is, as read at the start of its last round; always 1', 'gauge', (dut, s, emit) => {
    // `release`, as node_exporter's node_uname_info names `uname -r`: `kernel` is STREAM's label
    if (s.info) emit({ dut, arch: s.info.arch, release: s.info.kernel, os: s.info.os, lxc_version: s.info.lxcVersion }, 1);
  }),
  family(
    'edgebench_perf_supported',
    "1 if the DUT's kernel counts this perf event; 0 means no count is exported for it (never a 0 count)",
    'gauge',
    (dut, s, emit) => {
      for (const [event, supported] of s.perfSupported) emit({ dut, event }, supported ? 1 : 0);
    },
  ),
  family(
    'edgebench_benchmark_info',
    "What produced this benchmark's results: a hash of its parameters and its DUT-side tool's version, from the last round; always 1",
    'gauge',
    (dut, s, emit) => {
      for (const [benchmark, hash] of s.benchmarkConfigs)
        emit({ dut, benchmark, config_hash: hash, tool_version: s.toolVersions.get(benchmark) ?? '' }, 1);
    },
  ),
  runGauge('edgebench_benchmark_success', '1 if every job of the last run of this benchmark, mode and netdev succeeded', (r) =>
    r.success ? 1 : 0,
  ),
  runGauge('edgebench_benchmark_last_success_timestamp_seconds', 'When this benchmark, mode and netdev last ran without failure', (r) =>
    r.lastSuccessAt === undefined ? undefined : seconds(r.lastSuccessAt),
  ),
  runGauge(
    'edgebench_benchmark_duration_seconds',
    'Wall time of the last run of this benchmark, mode and netdev',
    (r) => r.durationSeconds,
  ),
  runGauge(
    'edgebench_benchmark_repetitions',
    'Repetitions behind the last result of this benchmark, mode and netdev',
    (r) => r.repetitions,
  ),
  family('edgebench_benchmark_runs_total', 'Jobs run, successful or not', 'counter', (dut, s, emit) => {
    for (const [benchmark, n] of s.runsTotal) emit({ dut, benchmark }, n);
  }),
  family(
    'edgebench_benchmark_failures_total',
    'Jobs failed, by reason: timeout, connection, tool_missing, exit_status, parse, cancelled',
    'counter',
    (dut, s, emit) => {
      // every reason of every benchmark that ran starts at 0, so increase() sees the first failure
      // (a failed job is counted in runsTotal too)
      for (const benchmark of s.runsTotal.keys())
        for (const reason of FAILURE_REASONS) emit({ dut, benchmark, reason }, s.failures(benchmark, reason));
    },
  ),
  family('edgebench_round_duration_seconds', 'Wall time of the last completed round', 'gauge', (dut, s, emit) => {
    if (s.roundDurationSeconds !== undefined) emit({ dut }, s.roundDurationSeconds);
  }),
  family('edgebench_round_last_completion_timestamp_seconds', 'When the last round completed', 'gauge', (dut, s, emit) => {
    if (s.roundCompletedAt !== undefined) emit({ dut }, seconds(s.roundCompletedAt));
  }),
  family(
    'edgebench_round_interval_seconds',
    "Time between two scheduled starts of the DUT's rounds: schedule.interval, or for schedule.cron the ticks around its last round's end",
    'gauge',
    (dut, s, emit) => {
      if (s.roundIntervalSeconds !== undefined) emit({ dut }, s.roundIntervalSeconds);
    },
  ),
];
