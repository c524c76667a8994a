// The exporter's own families, not per DUT: build info, configuration reloads, journal writes, and
// the process's (process_*, nodejs_*: prom-client's default collectors). prom-client renders these
// few; the per-DUT families (dut-families.ts) are rendered by metrics-body.ts, which joins them all
// into /metrics.
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { ResultsStore } from '../engine/results.js';
import { MetricsBody } from './metrics-body.js';

export interface ReloadStatus {
  successful: boolean;
  lastSuccessAt: number | undefined;
}

export interface ExporterInfo {
  version: string;
  /** The git revision and branch of the build (dist/build-info.json); "unknown" when not given. */
  revision?: string;
  branch?: string;
  store: ResultsStore;
  /** Read at every scrape: the reloader updates it in place. */
  reload: ReloadStatus;
  /** Failed journal writes since start, when there is a journal. */
  journalWriteErrors?: () => number;
  /** The process_* and nodejs_* families, as every Node.js exporter has them: `serve` wants them. */
  processMetrics?: boolean;
}

const seconds = (ms: number) => ms / 1000;

/** /metrics of `serve`: every family of the metric contract. */
export function createMetrics(info: ExporterInfo): MetricsBody {
  const { reload, journalWriteErrors } = info;
  return new MetricsBody(info.store, {
    registry: exporterRegistry(info),
    state: () => `${reload.successful} ${reload.lastSuccessAt} ${journalWriteErrors?.()}`,
    perScrape: info.processMetrics ? processRegistry() : undefined,
  });
}

let processFamilies: Registry | undefined;

/**
 * One for the process, however many times metrics are created: the collectors watch the event loop
 * and the garbage collector from the first call on, and a second set would only duplicate that work.
 */
function processRegistry(): Registry {
  if (!processFamilies) {
    processFamilies = new Registry();
    collectDefaultMetrics({ register: processFamilies });
    // gauges named like counters, which promtool check metrics reports (/metrics passes it clean);
    // each is the sum of its family by type: sum(nodejs_active_handles) and so on
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      processFamilies.removeSingleMetric(name);
    }
  }
  return processFamilies;
}

function exporterRegistry({ version, revision = 'unknown', branch = 'unknown', reload, journalWriteErrors }: ExporterInfo): Registry {
  const registry = new Registry();
  const registers = [registry];

  new Gauge({
    name: 'edgebench_exporter_build_info',
    // the HELP of the metric contract (test/fixtures/exposition/round.prom); the labels as before, then
    // the build's, as Prometheus' own *_build_info have them
    help: 'edgebench version and Node.js version; always 1',
    labelNames: ['version', 'node_version', 'revision', 'branch'],
    registers,
  }).set({ version, node_version: process.version, revision, branch }, 1);
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
