// The table `edgebench run` prints: native against the container and the % change, like the
// paper's tables. One row per series a container run measured (or native alone when no container
// run matches it); a family without a `mode` label (what a container itself costs) has its values
// in the lxc column; a failed job shows as "failed".
import type { JobOutcome } from '../engine/job-runner.js';

const UNITS: [suffix: string, unit: string][] = [
  ['_seconds', 's'],
  ['_bytes_per_second', 'B/s'],
  ['_flops', 'FLOP/s'],
  ['_bytes', 'B'],
];

function formatValue(family: string, v: number | undefined): string {
  if (v === undefined) return 'failed';
  const unit = UNITS.find(([s]) => family.endsWith(s))?.[1] ?? '';
  return `${Number(v.toPrecision(5))}${unit ? ` ${unit}` : ''}`;
}

interface Cell {
  dut: string;
  benchmark: string;
  family: string;
  labels: Record<string, string>;
  mean: number | undefined;
}

const describe = (labels: Record<string, string>, keep: (k: string) => boolean) =>
  Object.entries(labels)
    .filter(([k]) => keep(k))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

export function summaryTable(outcomes: readonly JobOutcome[]): string {
  const cells = outcomes.flatMap((o): Cell[] => {
    const base = { dut: o.dut, benchmark: o.job.benchmark };
    if (o.error) return [{ ...base, family: o.job.family, labels: o.job.labels, mean: undefined }];
    return o.series.map((s) => ({ ...base, family: s.family, labels: s.labels, mean: s.stats.mean }));
  });
  // what a native cell and a container cell must share to sit in one row
  const key = (c: Cell) => `${c.dut}\0${c.benchmark}\0${c.family}\0${describe(c.labels, (k) => k !== 'mode' && k !== 'netdev')}`;
  const natives = new Map(cells.filter((c) => c.labels.mode === 'native').map((c) => [key(c), c]));
  const containers = cells.filter((c) => (c.labels.mode ?? 'lxc') === 'lxc');
  const matched = new Set(containers.map(key));
  const rows = [
    ...containers.map((lxc) => ({ any: lxc, native: natives.get(key(lxc)), lxc })),
    ...[...natives.entries()].filter(([k]) => !matched.has(k)).map(([, native]) => ({ any: native, native, lxc: undefined })),
  ];
  const header = ['DUT', 'benchmark', 'parameters', 'native', 'lxc', 'change'];
  const body = rows.map(({ any, native, lxc }) => {
    const n = native?.mean;
    const l = lxc?.mean;
    const change = n !== undefined && l !== undefined && n !== 0 ? `${(((l - n) / n) * 100).toFixed(1)}%` : '';
    const params = describe(any.labels, (k) => k !== 'mode');
    const family = any.family.replace(/^edgebench_/, '');
    return [
      any.dut,
      any.benchmark,
      `${family} ${params}`.trim(),
      native ? formatValue(any.family, n) : '',
      lxc ? formatValue(any.family, l) : '',
      change,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
