// The exporter's own families, not per DUT: build info, configuration reloads, journal writes.
// prom-client renders these few; the per-DUT families (dut-families.ts) are rendered by
// metrics-body.ts, which joins both into /metrics.
import { Counter, Gauge, Registry } from 'prom-client';
import type { ResultsStore } from '../engine/results.js';
import { MetricsBody } from './metrics-body.js';

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

/** /metrics of `serve`: every family of the metric contract. */
export function createMetrics(info: ExporterInfo): MetricsBody {
  const { reload, journalWriteErrors } = info;
  return new MetricsBody(info.store, {
    registry: exporterRegistry(info),
    state: () => `${reload.successful} ${reload.lastSuccessAt} ${journalWriteErrors?.()}`,
  });
}

function exporterRegistry({ version, reload, journalWriteErrors }: ExporterInfo): Registry {
  const registry = new Registry();
  const registers = [registry];

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
