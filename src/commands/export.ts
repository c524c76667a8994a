// `edgebench export`: the journal as CSV, on stdout or into a file; safe while serve writes it.
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { parseDuration } from '../config/duration.js';
import { loadConfig } from '../config-file/load.js';
import { type ExportTable, exportCsv } from '../store/csv-export.js';
import { Journal } from '../store/journal.js';

export interface ExportOptions {
  config?: string;
  journal?: string;
  jobs?: boolean;
  since?: string;
  dut?: string;
  output?: string;
}

/** "7d" (that long ago) or an ISO 8601 date, as ms since the epoch. */
export function sinceTime(text: string, now = Date.now()): number {
  const ago = parseDuration(text);
  if (ago !== undefined) return now - ago;
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new Error(`--since ${text}: must be a duration such as "7d" or a date such as "2026-11-01T00:00:00Z"`);
  return at;
}

export async function exportCommand(o: ExportOptions): Promise<number> {
  if ((o.config === undefined) === (o.journal === undefined)) {
    console.error('edgebench export: give the configuration (-c FILE, its journal.path) or the journal file (--journal FILE)');
    return 2;
  }
  const path = o.journal ?? loadConfig(o.config as string).journal.path;
  const table: ExportTable = o.jobs ? 'jobs' : 'values';
  const filter = { since: o.since === undefined ? undefined : sinceTime(o.since), dut: o.dut };
  const journal = Journal.open(path, { readonly: true });
  try {
    if (o.output === undefined) {
      await exportCsv(journal, table, filter, process.stdout);
    } else {
      const file = createWriteStream(o.output);
      await exportCsv(journal, table, filter, file);
      file.end();
      await finished(file);
    }
  } finally {
    journal.close();
  }
  return 0;
}
