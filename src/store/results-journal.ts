// What the scheduler hands the journal: each finished job with its DUT's state, each finished
// round, and the retention. A journal that cannot be written is logged and counted, never fatal:
// the rounds and /metrics go on.
import type { Logger } from 'pino';
import type { DutConfig } from '../config-file/schema.js';
import type { JobOutcome } from '../engine/job-runner.js';
import { jsonSha256 } from '../engine/json-hash.js';
import type { DutResults, ResultsStore } from '../engine/results.js';
import type { RoundJournal } from '../engine/round-journal.js';
import type { Journal } from './journal.js';
import { restoreSnapshot, snapshotOf } from './snapshot.js';

const hashes = new WeakMap<DutConfig, string>();

/** SHA-256 of the DUT's configuration with defaults applied: which settings produced a result. */
export function configHash(dut: DutConfig): string {
  let hash = hashes.get(dut);
  if (!hash) {
    hash = jsonSha256(dut);
    hashes.set(dut, hash);
  }
  return hash;
}

export class ResultsJournal implements RoundJournal {
  /** Failed writes since start: edgebench_journal_write_errors_total. */
  writeErrors = 0;

  constructor(
    readonly journal: Journal,
    private readonly retentionMs: number,
    private readonly log: Logger,
  ) {}

  jobDone(dut: DutConfig, state: DutResults, outcome: JobOutcome): void {
    const meta = { configHash: configHash(dut), toolVersion: state.toolVersions.get(outcome.job.benchmark), dutInfo: state.info };
    this.write(dut.name, () => this.journal.recordJob(outcome, meta, snapshotOf(state)));
  }

  /** Puts back the saved state of these DUTs: /metrics as it was before the restart. */
  restore(store: ResultsStore, duts: readonly string[]): string[] {
    try {
      const states = this.journal.loadStates(duts);
      for (const [dut, snapshot] of states) restoreSnapshot(snapshot, store.dut(dut));
      if (states.size > 0)
        this.log.info({ duts: [...states.keys()], journal: this.journal.path }, 'restored the last results from the journal');
      return [...states.keys()];
    } catch (err) {
      this.log.error({ duts, journal: this.journal.path, err: (err as Error).message }, 'journal: cannot restore: these DUTs start empty');
      return [];
    }
  }

  roundDone(dut: DutConfig, state: DutResults): void {
    this.write(dut.name, () => {
      this.journal.saveState(dut.name, snapshotOf(state));
      const pruned = this.journal.prune(Date.now() - this.retentionMs);
      if (pruned > 0) this.log.info({ jobs: pruned, journal: this.journal.path }, 'journal: deleted jobs past the retention');
    });
  }

  private write(dut: string, what: () => void): void {
    try {
      what();
    } catch (err) {
      this.writeErrors += 1;
      this.log.error(
        { dut, journal: this.journal.path, err: (err as Error).message },
        'journal write failed: this result is in /metrics only',
      );
    }
  }
}
