// The journal as CSV for offline analysis (pandas, R, a spreadsheet): one row per raw value, or
// one row per job with its failure and raw output. Labels get a column each, so rows are tidy.
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { benchmarks } from '../benchmarks/index.js';
import type { DutInfo } from '../engine/results.js';
import type { JobFilter, JobRow, Journal } from './journal.js';

export type ExportTable = 'values' | 'jobs';

/** Every label of the contract besides dut, mode and netdev, which come first. */
const LABELS = [...new Set(benchmarks.flatMap((b) => b.families.flatMap((f) => f.labelNames)))].filter(
  (l) => l !== 'mode' && l !== 'netdev',
);

const iso = (ms: number) => new Date(ms).toISOString();

function jobColumns(row: JobRow, labels: Record<string, string>) {
  const info = row.dut_info ? (JSON.parse(row.dut_info) as DutInfo) : undefined;
  return {
    job_id: row.id,
    started_at: iso(row.started_at),
    ended_at: iso(row.ended_at),
    dut: row.dut,
    benchmark: row.benchmark,
    mode: row.mode,
    netdev: row.netdev,
    ...Object.fromEntries(LABELS.map((l) => [l, labels[l] ?? ''])),
    tool_version: row.tool_version ?? '',
    config_hash: row.config_hash,
    dut_arch: info?.arch ?? '',
    dut_kernel: info?.kernel ?? '',
    dut_os: info?.os ?? '',
    dut_lxc_version: info?.lxcVersion ?? '',
  };
}

function* valueRows(journal: Journal, filter: JobFilter) {
  for (const row of journal.series(filter)) {
    const common = { ...jobColumns(row, JSON.parse(row.series_labels)), family: row.family };
    const samples = JSON.parse(row.samples) as number[][];
    for (const [r, values] of samples.entries()) {
      for (const [i, value] of values.entries()) yield { ...common, repetition: r + 1, instance: i + 1, value };
    }
  }
}

function* jobRows(journal: Journal, filter: JobFilter) {
  for (const row of journal.jobs(filter)) {
    yield {
      ...jobColumns(row, JSON.parse(row.labels)),
      duration_seconds: (row.ended_at - row.started_at) / 1000,
      repetitions: row.repetitions,
      success: row.reason === null,
      reason: row.reason ?? '',
      message: row.message ?? '',
      raw_output: row.raw_output ?? '',
    };
  }
}

const COMMON = ['job_id', 'started_at', 'ended_at', 'dut', 'benchmark', 'mode', 'netdev', ...LABELS, 'tool_version', 'config_hash'];
const DUT_INFO = ['dut_arch', 'dut_kernel', 'dut_os', 'dut_lxc_version'];
const COLUMNS: Record<ExportTable, string[]> = {
  values: [...COMMON, 'family', 'repetition', 'instance', 'value', ...DUT_INFO],
  jobs: [...COMMON, 'duration_seconds', 'repetitions', 'success', 'reason', 'message', ...DUT_INFO, 'raw_output'],
};

export async function exportCsv(journal: Journal, table: ExportTable, filter: JobFilter, out: Writable): Promise<void> {
  const rows = table === 'values' ? valueRows(journal, filter) : jobRows(journal, filter);
  await pipeline(Readable.from(rows), stringify({ header: true, columns: COLUMNS[table], cast: { boolean: String } }), out, { end: false });
}
