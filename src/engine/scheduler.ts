// Rounds, continuously: one round at a time per DUT, DUTs in parallel. With `interval`, the next
// round starts `interval` after the previous one started (at once if it took longer); with `cron`,
// on each tick unless the DUT's previous round is still running. Both run a first round at start.
import scheduleLib, { type Job as ScheduledJob } from 'node-schedule';
import type { Logger } from 'pino';
import type { Config, DutConfig } from '../config/schema.js';
import { SshConnection } from '../remote/ssh-connection.js';
import { sshTarget } from '../remote/ssh-target.js';
import type { ResultsStore } from './results.js';
import { runRound } from './round.js';
import { TrafficLinks } from './traffic-links.js';

export class Scheduler {
  private readonly connections = new Map<string, SshConnection>();
  /** The pending node-schedule job of each DUT (interval) or its cron job. */
  private readonly timers = new Map<string, ScheduledJob>();
  private readonly rounds = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private readonly links = new TrafficLinks();

  constructor(
    private readonly config: Config,
    private readonly store: ResultsStore,
    private readonly log: Logger,
  ) {}

  start(): void {
    for (const dut of this.config.duts) {
      this.connections.set(dut.name, new SshConnection(sshTarget(dut), this.log));
      this.store.dut(dut.name);
      const { schedule } = this.config;
      if ('cron' in schedule) {
        const job = scheduleLib.scheduleJob(schedule.cron, () => void this.trigger(dut));
        if (job) this.timers.set(dut.name, job);
        void this.trigger(dut);
      } else {
        void this.every(dut, schedule.interval);
      }
    }
  }

  private async every(dut: DutConfig, intervalMs: number): Promise<void> {
    if (this.abort.signal.aborted) return;
    const started = Date.now();
    await this.trigger(dut);
    if (this.abort.signal.aborted) return;
    const again = () => void this.every(dut, intervalMs);
    // node-schedule refuses a date already past (null): a round that overran starts the next at once
    const job = started + intervalMs > Date.now() + 100 ? scheduleLib.scheduleJob(new Date(started + intervalMs), again) : null;
    if (job) this.timers.set(dut.name, job);
    else setImmediate(again);
  }

  private trigger(dut: DutConfig): Promise<void> {
    const running = this.rounds.get(dut.name);
    if (running) {
      this.log.warn({ dut: dut.name }, 'previous round still running: this tick is skipped');
      return running;
    }
    const conn = this.connections.get(dut.name) as SshConnection;
    const round = runRound(dut, conn, this.store.dut(dut.name), {
      repetitions: this.config.repetitions,
      signal: this.abort.signal,
      log: this.log,
      links: this.links,
    })
      .then((outcomes) => {
        const failed = outcomes.filter((o) => o.error).length;
        this.log.info({ dut: dut.name, jobs: outcomes.length, failed }, 'round complete');
      })
      .catch((err: Error) => this.log.error({ dut: dut.name, err: err.message }, 'round aborted'))
      .finally(() => this.rounds.delete(dut.name));
    this.rounds.set(dut.name, round);
    return round;
  }

  /** Cancels running rounds (their remote processes are killed) and closes the connections. */
  async stop(): Promise<void> {
    this.abort.abort();
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    await Promise.allSettled(this.rounds.values());
    for (const c of this.connections.values()) c.close();
  }
}
