// The results journal: every job with its raw repetition values, tool version, DUT info and
// config hash, plus each DUT's exported state, in one SQLite file. Each job is one transaction
// (WAL, synchronous=FULL), so a SIGKILL or a power cut loses at most the job being written and
// leaves a file that opens; `edgebench export` and sqlite3 can read it while serve writes.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { JobOutcome } from '../engine/job-runner.js';
import type { DutInfo } from '../engine/results.js';
import type { DutSnapshot } from './snapshot.js';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS job (
  id INTEGER PRIMARY KEY,
  dut TEXT NOT NULL,
  benchmark TEXT NOT NULL,
  mode TEXT NOT NULL,
  netdev TEXT NOT NULL,
  labels TEXT NOT NULL,          -- JSON: the job's own series labels, dut aside
  started_at INTEGER NOT NULL,   -- ms since the epoch
  ended_at INTEGER NOT NULL,
  repetitions INTEGER NOT NULL,  -- counted repetitions, warm-up excluded; 0 when the job failed
  reason TEXT,                   -- failures only: the failures_total reason, the message, the raw output (head and tail)
  message TEXT,                  -- a failure's; for a success, its notes (STREAM's array size off the rule, and why)
  raw_output TEXT,
  tool_version TEXT,
  dut_info TEXT,                 -- JSON
  config_hash TEXT NOT NULL      -- SHA-256 of the DUT's configuration, defaults applied
);
CREATE INDEX IF NOT EXISTS job_ended_at ON job(ended_at);
CREATE TABLE IF NOT EXISTS series (
  job_id INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,
  family TEXT NOT NULL,
  labels TEXT NOT NULL,          -- JSON
  mean REAL NOT NULL,
  stddev REAL NOT NULL,
  count INTEGER NOT NULL,
  samples TEXT NOT NULL          -- JSON: the raw values of each repetition
);
CREATE INDEX IF NOT EXISTS series_job_id ON series(job_id);
CREATE TABLE IF NOT EXISTS dut_state (
  dut TEXT PRIMARY KEY,
  saved_at INTEGER NOT NULL,
  snapshot TEXT NOT NULL         -- JSON: what /metrics showed for this DUT
);
`;

export interface JobMeta {
  configHash: string;
  toolVersion: string | undefined;
  dutInfo: DutInfo | undefined;
}

export interface JobRow {
  id: number;
  dut: string;
  benchmark: string;
  mode: string;
  netdev: string;
  labels: string;
  started_at: number;
  ended_at: number;
  repetitions: number;
  reason: string | null;
  message: string | null;
  raw_output: string | null;
  tool_version: string | null;
  dut_info: string | null;
  config_hash: string;
}

/** A job joined with one of its series. */
export interface SeriesRow extends JobRow {
  family: string;
  /** JSON: the series' labels, the job's and any of its own (STREAM kernel, …). */
  series_labels: string;
  mean: number;
  stddev: number;
  count: number;
  samples: string;
}

export interface JobFilter {
  /** ms since the epoch: jobs that ended at or after. */
  since?: number;
  dut?: string;
}

export class JournalError extends Error {
  override name = 'JournalError';
}

export class Journal {
  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
  ) {}

  /** Opens (creating when missing) the journal; a file that is not one is an error, never overwritten. */
  static open(path: string, { readonly = false } = {}): Journal {
    let db: Database.Database | undefined;
    try {
      if (!readonly) mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { readonly, fileMustExist: readonly });
      if (!readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
      }
      db.pragma('foreign_keys = ON');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) throw new Error(`written by a newer edgebench (schema ${version}; this one reads ${SCHEMA_VERSION})`);
      if (!readonly) {
        db.exec(SCHEMA);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      }
      return new Journal(path, db);
    } catch (err) {
      db?.close();
      throw new JournalError(`journal ${path}: ${(err as Error).message}`);
    }
  }

  /** One job, its series and the DUT's state after it, all or nothing. */
  recordJob(outcome: JobOutcome, meta: JobMeta, snapshot: DutSnapshot): void {
    this.db.transaction(() => {
      const { job, error } = outcome;
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO job (dut, benchmark, mode, netdev, labels, started_at, ended_at, repetitions, reason, message, raw_output,
             tool_version, dut_info, config_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          outcome.dut,
          job.benchmark,
          job.mode,
          job.netdev,
          JSON.stringify(job.labels),
          outcome.startedAt,
          outcome.endedAt,
          outcome.repetitions,
          error?.reason ?? null,
          error?.message ?? outcome.notes?.join('; ') ?? null,
          error?.output ?? null,
          meta.toolVersion ?? null,
          meta.dutInfo ? JSON.stringify(meta.dutInfo) : null,
          meta.configHash,
        );
      const insert = this.db.prepare(
        'INSERT INTO series (job_id, family, labels, mean, stddev, count, samples) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      for (const s of outcome.series) {
        insert.run(
          lastInsertRowid,
          s.family,
          JSON.stringify(s.labels),
          s.stats.mean,
          s.stats.stddev,
          s.stats.count,
          JSON.stringify(s.samples),
        );
      }
      this.saveState(outcome.dut, snapshot);
    })();
  }

  /** The DUT's state alone: at the end of a round, whose bookkeeping follows its last job. */
  saveState(dut: string, snapshot: DutSnapshot): void {
    this.db
      .prepare(
        'INSERT INTO dut_state (dut, saved_at, snapshot) VALUES (?, ?, ?) ON CONFLICT(dut) DO UPDATE SET saved_at = excluded.saved_at, snapshot = excluded.snapshot',
      )
      .run(dut, Date.now(), JSON.stringify(snapshot));
  }

  /** The saved state of each of these DUTs that has one. */
  loadStates(duts: Iterable<string>): Map<string, DutSnapshot> {
    const select = this.db.prepare<[string], { snapshot: string }>('SELECT snapshot FROM dut_state WHERE dut = ?');
    const states = new Map<string, DutSnapshot>();
    for (const dut of duts) {
      const row = select.get(dut);
      if (row) states.set(dut, JSON.parse(row.snapshot) as DutSnapshot);
    }
    return states;
  }

  /** Deletes jobs that ended before `before` (ms), and states not saved since; returns the jobs deleted. */
  prune(before: number): number {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM dut_state WHERE saved_at < ?').run(before);
      return this.db.prepare('DELETE FROM job WHERE ended_at < ?').run(before).changes;
    })();
  }

  /** Jobs in order, oldest first. */
  jobs(filter: JobFilter = {}): IterableIterator<JobRow> {
    return this.db
      .prepare<[number, string | null, string | null], JobRow>(
        'SELECT * FROM job WHERE ended_at >= ? AND (? IS NULL OR dut = ?) ORDER BY id',
      )
      .iterate(filter.since ?? 0, filter.dut ?? null, filter.dut ?? null);
  }

  /** Every series of every job, joined with its job, oldest first (one query: one iterator at a time). */
  series(filter: JobFilter = {}): IterableIterator<SeriesRow> {
    return this.db
      .prepare<[number, string | null, string | null], SeriesRow>(
        `SELECT job.*, series.family, series.labels AS series_labels, series.mean, series.stddev, series.count, series.samples
           FROM series JOIN job ON job.id = series.job_id
          WHERE job.ended_at >= ? AND (? IS NULL OR job.dut = ?) ORDER BY job.id, series.rowid`,
      )
      .iterate(filter.since ?? 0, filter.dut ?? null, filter.dut ?? null);
  }

  /** `PRAGMA integrity_check`: "ok" for a sound file. */
  integrity(): string {
    return String(this.db.pragma('integrity_check', { simple: true }));
  }

  close(): void {
    this.db.close();
  }
}
