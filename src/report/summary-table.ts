// The table `edgebench run` prints: native against the container, the % change and its 95%
// interval, like the paper's tables, in the paper's units (the registry's display units: Mbit/s,
// µs, MFLOPS, MB/s, s). One row per series a container run measured (or native alone when no
// container run matches it); a family without a `mode` label (what a container itself costs) has
// its values in the lxc column. A change whose interval includes zero is marked not significant, a
// series that did not settle (the job stopped at its maximum repetitions with the spread above
// max_rsd_percent) not settled; a failed job shows as "failed".
import type { DisplayUnit } from '../benchmarks/benchmark.js';
import { benchmarks } from '../benchmarks/index.js';
import type { JobOutcome } from '../engine/job-runner.js';
import type { Statistics } from '../engine/statistics.js';
import { changeInterval } from './interval.js';

const units = new Map(benchmarks.flatMap((b) => b.families.map((f): [string, DisplayUnit] => [f.name, f.display])));

function formatValue(family: string, v: number | undefined): string {
  if (v === undefined) return 'failed';
  const unit = units.get(family);
  const shown = unit ? (v * (unit.multiplier ?? 1)) / (unit.divisor ?? 1) : v;
  return `${Number(shown.toPrecision(5))}${unit?.symbol ? ` ${unit.symbol}` : ''}`;
}

const percent = (r: number) => `${(r * 100).toFixed(1)}%`;

interface Cell {
  dut: string;
  benchmark: string;
  family: string;
  labels: Record<string, string>;
  stats: Statistics | undefined;
  settled: boolean;
}

const describe = (labels: Record<string, string>, keep: (k: string) => boolean) =>
  Object.entries(labels)
    .filter(([k]) => keep(k))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

export function summaryTable(outcomes: readonly JobOutcome[]): string {
  const cells = outcomes.flatMap((o): Cell[] => {
    const base = { dut: o.dut, benchmark: o.job.benchmark };
    if (o.error) return [{ ...base, family: o.job.family, labels: o.job.labels, stats: undefined, settled: true }];
    return o.series.map((s) => ({ ...base, family: s.family, labels: s.labels, stats: s.stats, settled: s.settled }));
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
  const header = ['DUT', 'benchmark', 'parameters', 'native', 'lxc', 'change', '95% interval', 'note'];
  const body = rows.map(({ any, native, lxc }) => {
    const n = native?.stats;
    const l = lxc?.stats;
    const change = n && l && n.mean !== 0 ? (l.mean - n.mean) / n.mean : undefined;
    const interval = n && l ? changeInterval(n, l) : undefined;
    const notes = [
      ...(interval && !interval.significant ? ['not significant'] : []),
      ...((native?.stats && !native.settled) || (lxc?.stats && !lxc.settled) ? ['not settled'] : []),
    ];
    const params = describe(any.labels, (k) => k !== 'mode');
    const family = any.family.replace(/^edgebench_/, '');
    return [
      any.dut,
      any.benchmark,
      `${family} ${params}`.trim(),
      native ? formatValue(any.family, n?.mean) : '',
      lxc ? formatValue(any.family, l?.mean) : '',
      change === undefined ? '' : percent(change),
      interval ? `${percent(interval.lower)} … ${percent(interval.upper)}` : '',
      notes.join(', '),
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
