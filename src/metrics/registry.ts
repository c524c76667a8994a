// The metric contract of DESIGN.md as prom-client families. Every family is a view computed at
// scrape time from the ResultsStore, so a removed DUT disappears and no half-written state shows.
import { Counter, Gauge, Registry } from 'prom-client';
import { benchmarks } from '../benchmarks/index.js';
import type { DutResults, ResultsStore, RunStatus } from '../engine/results.js';
import { FAILURE_REASONS } from '../remote/errors.js';

export interface ReloadStatus {
  successful: boolean;
  lastSuccessAt: number | undefined;
}

export interface ExporterInfo {
  version: string;
  store: ResultsStore;
  /** Read at every scrape: the reloader updates it in place. */
  reload: ReloadStatus;
  /** Failed journal writes since start, when there is a journal. */
  journalWriteErrors?: () => number;
}

const seconds = (ms: number) => ms / 1000;

export function createRegistry({ version, store, reload, journalWriteErrors }: ExporterInfo): Registry {
  const registry = new Registry();
  const registers = [registry];
  const perDut = (fn: (dut: string, state: DutResults) => unknown) => {
    for (const [dut, state] of store.duts) fn(dut, state);
  };

  for (const family of benchmarks.flatMap((b) => b.families)) {
    const labelNames = ['dut', ...family.labelNames];
    const pick = (labels: Record<string, string>) => Object.fromEntries(labelNames.slice(1).map((l) => [l, labels[l] ?? '']));
    for (const [suffix, what] of [
      ['', 'mean'],
      ['_stddev', 'stddev'],
    ] as const) {
      new Gauge({
        name: `${family.name}${suffix}`,
        help: suffix ? `Standard deviation over the repetitions behind ${family.name}` : family.help,
        labelNames,
        registers,
        collect() {
          this.reset();
          perDut((dut, state) => {
            for (const r of state.results.values()) {
              if (r.family === family.name) this.set({ dut, ...pick(r.labels) }, r.stats[what]);
            }
          });
        },
      });
    }
  }

  new Gauge({
    name: 'edgebench_dut_up',
    help: '1 if the last connection attempt to the DUT succeeded',
    labelNames: ['dut'],
    registers,
    collect() {
      this.reset();
      perDut((dut, s) => s.up !== undefined && this.set({ dut }, s.up ? 1 : 0));
    },
  });
  new Gauge({
    name: 'edgebench_dut_info',
    help: 'What the DUT is, as read at the start of its last round; always 1',
    labelNames: ['dut', 'arch', 'kernel', 'os', 'lxc_version'],
    registers,
    collect() {
      this.reset();
      perDut(
        (dut, s) => s.info && this.set({ dut, arch: s.info.arch, kernel: s.info.kernel, os: s.info.os, lxc_version: s.info.lxcVersion }, 1),
      );
    },
  });

  new Gauge({
    name: 'edgebench_perf_supported',
    help: "1 if the DUT's kernel counts this perf event; 0 means no count is exported for it (never a 0 count)",
    labelNames: ['dut', 'event'],
    registers,
    collect() {
      this.reset();
      perDut((dut, s) => {
        for (const [event, supported] of s.perfSupported) this.set({ dut, event }, supported ? 1 : 0);
      });
    },
  });

  const runLabels = ['dut', 'benchmark', 'mode', 'netdev'];
  const runGauge = (name: string, help: string, value: (r: RunStatus) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: runLabels,
      registers,
      collect() {
        this.reset();
        perDut((dut, s) => {
          for (const r of s.runs.values()) {
            const v = value(r);
            if (v !== undefined) this.set({ dut, benchmark: r.benchmark, mode: r.mode, netdev: r.netdev }, v);
          }
        });
      },
    });
  runGauge('edgebench_benchmark_success', '1 if every job of the last run of this benchmark, mode and netdev succeeded', (r) =>
    r.success ? 1 : 0,
  );
  runGauge('edgebench_benchmark_last_success_timestamp_seconds', 'When this benchmark, mode and netdev last ran without failure', (r) =>
    r.lastSuccessAt === undefined ? undefined : seconds(r.lastSuccessAt),
  );
  runGauge(
    'edgebench_benchmark_duration_seconds',
    'Wall time of the last run of this benchmark, mode and netdev',
    (r) => r.durationSeconds,
  );
  runGauge(
    'edgebench_benchmark_repetitions',
    'Repetitions behind the last result of this benchmark, mode and netdev',
    (r) => r.repetitions,
  );

  new Counter({
    name: 'edgebench_benchmark_runs_total',
    help: 'Jobs run, successful or not',
    labelNames: ['dut', 'benchmark'],
    registers,
    collect() {
      this.reset();
      perDut((dut, s) => {
        for (const [benchmark, n] of s.runsTotal) this.inc({ dut, benchmark }, n);
      });
    },
  });
  new Counter({
    name: 'edgebench_benchmark_failures_total',
    help: 'Jobs failed, by reason: timeout, connection, tool_missing, exit_status, parse, cancelled',
    labelNames: ['dut', 'benchmark', 'reason'],
    registers,
    collect() {
      this.reset();
      perDut((dut, s) => {
        // every reason of every benchmark that ran starts at 0, so increase() sees the first failure
        for (const benchmark of s.runsTotal.keys()) for (const reason of FAILURE_REASONS) this.inc({ dut, benchmark, reason }, 0);
        for (const f of s.failuresTotal.values()) this.inc({ dut, benchmark: f.benchmark, reason: f.reason }, f.count);
      });
    },
  });
  new Gauge({
    name: 'edgebench_round_duration_seconds',
    help: 'Wall time of the last completed round',
    labelNames: ['dut'],
    registers,
    collect() {
      this.reset();
      perDut((dut, s) => s.roundDurationSeconds !== undefined && this.set({ dut }, s.roundDurationSeconds));
    },
  });
  new Gauge({
    name: 'edgebench_round_last_completion_timestamp_seconds',
    help: 'When the last round completed',
    labelNames: ['dut'],
    registers,
    collect() {
      this.reset();
      perDut((dut, s) => s.roundCompletedAt !== undefined && this.set({ dut }, seconds(s.roundCompletedAt)));
    },
  });

  new Gauge({
    name: 'edgebench_exporter_build_info',
    help: 'edgebench version and Node.js version; always 1',
    labelNames: ['version', 'node_version'],
    registers,
  }).set({ version, node_version: process.version }, 1);
  new Gauge({
    name: 'edgebench_config_last_reload_successful',
    help: '1 if the last configuration load succeeded',
    registers,
    collect() {
      this.set(reload.successful ? 1 : 0);
    },
  });
  new Gauge({
    name: 'edgebench_config_last_reload_success_timestamp_seconds',
    help: 'When the configuration was last loaded successfully',
    registers,
    collect() {
      this.reset();
      if (reload.lastSuccessAt !== undefined) this.set(seconds(reload.lastSuccessAt));
    },
  });
  if (journalWriteErrors) {
    new Counter({
      name: 'edgebench_journal_write_errors_total',
      help: 'Results the journal failed to write (they are in /metrics, not on disk); the log says why',
      registers,
      collect() {
        this.reset();
        this.inc(journalWriteErrors());
      },
    });
  }
  return registry;
}
