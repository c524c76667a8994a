// Statistics and the compact result tables every benchmark prints.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release } from 'node:os';

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  // nearest rank: the smallest value with at least q of the values at or below it
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
}

export const median = (values: readonly number[]) => {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

export const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers, ...rows].map((r) => r.map(String));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(cells[0] as string[]), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

export const fixed = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '-');

/** Date, machine and load: the first line of every result, for RESULTS.md. */
export function machine(): string {
  let commit = '?';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a checkout
  }
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `${new Date().toISOString()}  nproc ${cpus().length}  kernel ${release()}  node ${process.version}  commit ${commit}  load ${load}`;
}

/** Prints the verdict line and sets the exit status: non-zero when any target was missed. */
export function verdict(missed: readonly string[]): void {
  if (missed.length === 0) {
    console.log('\nall targets met');
  } else {
    console.log(`\nTARGET MISSED: ${missed.join('; ')}`);
    process.exitCode = 1;
  }
}
