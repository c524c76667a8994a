// What the DUT loops report to a journal. The store implements it (src/store/results-journal.ts),
// so the engine needs nothing from the store.
import type { DutConfig } from '../config-file/schema.js';
import type { JobOutcome } from './job-runner.js';
import type { DutResults, ResultsStore } from './results.js';

export interface RoundJournal {
  jobDone(dut: DutConfig, state: DutResults, outcome: JobOutcome): void;
  roundDone(dut: DutConfig, state: DutResults): void;
  /** Puts back the saved state of these DUTs; returns those it restored. */
  restore(store: ResultsStore, duts: readonly string[]): string[];
}
