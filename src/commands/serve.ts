// `edgebench serve`: the last results restored from the journal, rounds on schedule, /metrics over
// HTTP, reload on SIGHUP, until SIGINT or SIGTERM, which cancel the rounds and kill their remote
// processes.
import { loadConfig } from '../config-file/load.js';
import { ResultsStore } from '../engine/results.js';
import { Scheduler } from '../engine/scheduler.js';
import { createApp, listenAddress } from '../http/app.js';
import { startHttpServer, type WebServer } from '../http/http-server.js';
import { loadWebConfig } from '../http/web-config.js';
import { createLogger, type LogFormat } from '../log.js';
import { createMetrics } from '../metrics/registry.js';
import { Journal } from '../store/journal.js';
import { ResultsJournal } from '../store/results-journal.js';
import { buildInfo, version } from '../version.js';
import { Reloader } from './reloader.js';

export interface ServeOptions {
  config: string;
  /** --web.listen-address: where /metrics listens, instead of the configuration's `listen`. */
  listenAddress?: string;
  /** --web.config.file: TLS and basic auth, in the exporter-toolkit format. */
  webConfigFile?: string;
  /** --web.enable-lifecycle: POST /-/reload. */
  enableLifecycle?: boolean;
  /** --web.enable-admin-api: POST /api/v1/admin/rounds. */
  enableAdminApi?: boolean;
  /** --log.level, else $EDGEBENCH_LOG_LEVEL, else info. */
  logLevel?: string;
  /** --log.format; without it JSON, or human-readable on a terminal. */
  logFormat?: LogFormat;
}

/** Past this, SIGTERM gives up waiting for the rounds' remote kills: systemd and docker stop wait 10 s. */
const SHUTDOWN_LIMIT_MS = 8_000;

export async function serve(opts: ServeOptions): Promise<void> {
  const log = createLogger(opts.logLevel, opts.logFormat);
  const config = loadConfig(opts.config);
  const listen = opts.listenAddress ?? config.listen;
  log.debug(
    {
      config: opts.config,
      listen,
      schedule: config.schedule,
      duts: config.duts.map((d) => `${d.name}: ${Object.keys(d.benchmarks).join(', ') || 'no benchmark'}`),
    },
    'configuration loaded',
  );
  const web = opts.webConfigFile === undefined ? undefined : loadWebConfig(opts.webConfigFile);
  const journal = new ResultsJournal(Journal.open(config.journal.path), config.journal.retention, log);
  const store = new ResultsStore();
  const scheduler = new Scheduler(config, store, log, journal);
  let server: WebServer | undefined;
  const reloader = new Reloader(opts.config, config, {
    scheduler,
    log,
    alsoReload: () => opts.webConfigFile !== undefined && server?.reload(loadWebConfig(opts.webConfigFile)),
  });
  const metrics = createMetrics({
    version,
    revision: buildInfo.revision,
    branch: buildInfo.branch,
    store,
    reload: reloader.status,
    journalWriteErrors: () => journal.writeErrors,
    processMetrics: true,
  });
  let ready = false;
  const app = createApp({
    metrics,
    isReady: () => ready,
    log,
    reload: opts.enableLifecycle ? () => reloader.reload('POST /-/reload') : undefined,
    runNow: opts.enableAdminApi
      ? (duts) => {
          const unknown = duts?.filter((d) => !scheduler.has(d)) ?? [];
          return { started: unknown.length > 0 ? [] : scheduler.runNow(duts), unknown };
        }
      : undefined,
  });
  server = await startHttpServer(app, listenAddress(listen), web, log);
  log.info(
    {
      listen,
      tls: web?.tls !== undefined,
      basicAuth: (web?.users.size ?? 0) > 0,
      duts: config.duts.map((d) => d.name),
      journal: config.journal.path,
      version,
      revision: buildInfo.revision,
    },
    'edgebench serving /metrics',
  );
  scheduler.start();
  ready = true;

  process.on('SIGHUP', () => void reloader.reload('SIGHUP'));
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down: cancelling rounds');
    ready = false;
    server?.close();
    server?.closeAllConnections();
    const limit = setTimeout(() => {
      log.error({ limitMs: SHUTDOWN_LIMIT_MS }, 'rounds did not stop in time: exiting anyway');
      journal.journal.close();
      log.flush();
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    await scheduler.stop();
    clearTimeout(limit);
    journal.journal.close();
    log.info('stopped');
    log.flush();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}
