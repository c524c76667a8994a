// One DUT's rounds, continuously. With `interval`, the next round starts `interval` after the
// previous one started (at once if it took longer); with `cron`, on each tick unless the previous
// round is still running. Both run a first round at start. Each loop has its own connection, open
// for the length of a round, and its own cancel, so a reload can stop one DUT without touching the
// others.
import scheduleLib, { type Job as ScheduledJob } from 'node-schedule';
import type { Logger } from 'pino';
import type { Config, DutConfig } from '../config-file/schema.js';
import { SshConnection } from '../remote/ssh-connection.js';
import type { DutResults } from './results.js';
import { runRound } from './round.js';
import { roundIntervalSeconds } from './round-interval.js';
import type { RoundJournal } from './round-journal.js';
import { sshTarget } from './ssh-target.js';
import type { TrafficLinks } from './traffic-links.js';

export interface DutLoopDeps {
  state: DutResults;
  links: TrafficLinks;
  log: Logger;
  journal: RoundJournal | undefined;
}

export class DutLoop {
  private readonly conn: SshConnection;
  private readonly abort = new AbortController();
  private timer: ScheduledJob | undefined;
  private round: Promise<void> | undefined;

  constructor(
    readonly dut: DutConfig,
    private readonly settings: Pick<Config, 'schedule' | 'repetitions'>,
    private readonly deps: DutLoopDeps,
  ) {
    this.conn = new SshConnection(sshTarget(dut), deps.log);
  }

  start(): void {
    const { schedule } = this.settings;
    this.exportInterval();
    if ('cron' in schedule) {
      this.timer = scheduleLib.scheduleJob(schedule.cron, () => void this.runNow()) ?? undefined;
      void this.runNow();
    } else {
      void this.every(schedule.interval);
    }
  }

  private async every(intervalMs: number): Promise<void> {
    if (this.abort.signal.aborted) return;
    const started = Date.now();
    await this.runNow();
    if (this.abort.signal.aborted) return;
    const again = () => void this.every(intervalMs);
    // node-schedule refuses a date already past (null): a round that overran starts the next at once
    const job = started + intervalMs > Date.now() + 100 ? scheduleLib.scheduleJob(new Date(started + intervalMs), again) : null;
    if (job) this.timer = job;
    else setImmediate(again);
  }

  /** Starts a round unless one is running; resolves when that round ends. */
  runNow(): Promise<void> {
    if (this.round) {
      this.deps.log.warn({ dut: this.dut.name }, 'previous round still running: this tick is skipped');
      return this.round;
    }
    if (this.abort.signal.aborted) return Promise.resolve();
    const { state, journal, log, links } = this.deps;
    this.round = runRound(this.dut, this.conn, state, {
      repetitions: this.settings.repetitions,
      signal: this.abort.signal,
      log,
      links,
      onJobDone: (outcome) => journal?.jobDone(this.dut, state, outcome),
    })
      .then((outcomes) => {
        journal?.roundDone(this.dut, state);
        const failed = outcomes.filter((o) => o.error).length;
        log.info({ dut: this.dut.name, jobs: outcomes.length, failed }, 'round complete');
      })
      .catch((err: Error) => log.error({ dut: this.dut.name, err: err.message }, 'round aborted'))
      .finally(() => {
        this.round = undefined;
        this.exportInterval();
        // Nothing of edgebench stays on the DUT between rounds, not even its SSH session (a
        // dropbear process in a router's RAM); reconnecting costs ~80 ms a round. Kills still on
        // their way keep the connection, to be delivered the moment the link answers.
        if (this.conn.undeliveredKills.length === 0) this.conn.close();
      });
    return this.round;
  }

  /**
   * From the start, so a DUT that never completes a round still has its stale threshold; again
   * after each round, for a cron whose ticks are not evenly spaced.
   */
  private exportInterval(): void {
    this.deps.state.roundIntervalSeconds = roundIntervalSeconds(this.settings.schedule, new Date());
  }

  /** Cancels the running round (its remote processes are killed) and closes the connection. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.timer?.cancel();
    await this.round;
    this.conn.close();
  }
}
