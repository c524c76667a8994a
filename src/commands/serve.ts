// `edgebench serve`: rounds on schedule, /metrics over HTTP, until SIGINT or SIGTERM.
import type { Server } from 'node:http';
import { loadConfig } from '../config/load.js';
import { ResultsStore } from '../engine/results.js';
import { Scheduler } from '../engine/scheduler.js';
import { createApp, listenAddress } from '../http/app.js';
import { createLogger } from '../log.js';
import { createRegistry } from '../metrics/registry.js';
import { version } from '../version.js';

export async function serve(file: string): Promise<void> {
  const log = createLogger();
  const config = loadConfig(file);
  const store = new ResultsStore();
  const registry = createRegistry({ version, store, reload: { successful: true, lastSuccessAt: Date.now() } });
  const scheduler = new Scheduler(config, store, log);
  let ready = false;
  const app = createApp({ registry, isReady: () => ready, log });
  const { host, port } = listenAddress(config.listen);
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, host ?? '::', () => resolve(s)).once('error', reject);
  });
  log.info({ listen: config.listen, duts: config.duts.map((d) => d.name), version }, 'edgebench serving /metrics');
  scheduler.start();
  ready = true;

  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down: cancelling rounds');
    ready = false;
    server.close();
    server.closeAllConnections();
    await scheduler.stop();
    log.info('stopped');
    log.flush();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}
