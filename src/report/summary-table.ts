// The table `edgebench run` prints: native against lxc and the % change, like the paper's tables.
import type { JobOutcome } from '../engine/round.js';

const UNITS: [suffix: string, unit: string][] = [
  ['_seconds', 's'],
  ['_bytes_per_second', 'B/s'],
  ['_flops', 'FLOP/s'],
];

function formatValue(family: string, v: number | undefined): string {
  if (v === undefined) return 'failed';
  const unit = UNITS.find(([s]) => family.endsWith(s))?.[1] ?? '';
  return `${Number(v.toPrecision(5))}${unit ? ` ${unit}` : ''}`;
}

export function summaryTable(outcomes: readonly JobOutcome[]): string {
  const rows = new Map<string, { dut: string; benchmark: string; params: string; family: string; native?: JobOutcome; lxc?: JobOutcome }>();
  for (const o of outcomes) {
    const params = Object.entries(o.job.labels)
      .filter(([k]) => k !== 'mode')
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const key = `${o.dut}\0${o.job.benchmark}\0${params}`;
    const row = rows.get(key) ?? { dut: o.dut, benchmark: o.job.benchmark, params, family: o.family };
    row[o.job.mode] = o;
    rows.set(key, row);
  }
  const header = ['DUT', 'benchmark', 'parameters', 'native', 'lxc', 'change'];
  const body = [...rows.values()].map((r) => {
    const n = r.native?.stats?.mean;
    const l = r.lxc?.stats?.mean;
    const change = n !== undefined && l !== undefined && n !== 0 ? `${(((l - n) / n) * 100).toFixed(1)}%` : '';
    return [r.dut, r.benchmark, r.params, r.native ? formatValue(r.family, n) : '', r.lxc ? formatValue(r.family, l) : '', change];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
