// Reloading the configuration (SIGHUP, POST /-/reload): an invalid file keeps the running
// configuration and sets edgebench_config_last_reload_successful to 0; a valid one is applied DUT
// by DUT. Reloads run one at a time.
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { loadConfig } from '../config-file/load.js';
import type { Config } from '../config-file/schema.js';
import type { ReloadSummary, Scheduler } from '../engine/scheduler.js';
import type { ReloadStatus } from '../metrics/registry.js';

export type ReloadResult = { ok: true; summary: ReloadSummary } | { ok: false; error: string };

export interface ReloaderDeps {
  scheduler: Scheduler;
  log: Logger;
  /** Further files read on reload (the web config): throws to refuse the whole reload. */
  alsoReload?: () => void;
}

export class Reloader {
  readonly status: ReloadStatus = { successful: true, lastSuccessAt: Date.now() };
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    private config: Config,
    private readonly deps: ReloaderDeps,
  ) {}

  reload(trigger: string): Promise<ReloadResult> {
    const next = this.queue.then(() => this.apply(trigger));
    this.queue = next;
    return next;
  }

  private async apply(trigger: string): Promise<ReloadResult> {
    const { log, scheduler } = this.deps;
    let next: Config;
    try {
      next = loadConfig(this.file);
      this.deps.alsoReload?.();
    } catch (err) {
      this.status.successful = false;
      const error = (err as Error).message;
      log.error({ trigger, err: error }, 'reload failed: the running configuration stays');
      return { ok: false, error };
    }
    for (const key of ['listen', 'journal'] as const) {
      if (!isDeepStrictEqual(next[key], this.config[key])) log.warn({ key }, `${key} changed: it takes effect at the next start`);
    }
    const summary = await scheduler.reload({ ...next, listen: this.config.listen, journal: this.config.journal });
    this.config = next;
    this.status.successful = true;
    this.status.lastSuccessAt = Date.now();
    log.info({ trigger, ...summary }, 'configuration reloaded');
    return { ok: true, summary };
  }
}
