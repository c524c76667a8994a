// perf stat, system-wide (-a), counting branch-misses and L1-dcache-load-misses on the DUT while a
// network benchmark runs (the paper's section IV.C). perf 6.1 prints its counts on stderr (-o FILE or
// --log-fd N move them); stdout carries only the measured command's own output.
//
// With -x, each counter is one line of fields, in this order (perf-stat(1), "CSV FORMAT"):
//   value, unit, event, [cgroup with -G], run time (ns), % of the time it ran, [variance with -r],
//   metric value, metric unit        e.g. "2004.46,msec,task-clock,2004461018,100.00,2.000,CPUs utilized"
// -I, -A and --per-* would put a timestamp or an aggregation id first: they are not used. The fields
// are not quoted, so an event name holding the separator (raw "cpu/event=..,umask=../") would split.
// Without -x the same counters come as a table under "Performance counter stats for 'system wide':",
// followed by "N seconds time elapsed".
//
// The value is "<not supported>" when the kernel cannot count the event (hardware events in most VMs):
// a normal answer. "<not counted>" when the event exists but never ran (e.g. a -G cgroup with no task).
//
// Stopping: perf stat -a with no command counts until SIGINT, then prints its counts and re-raises the
// signal, so its exit status is 130; SIGTERM and SIGHUP kill it without printing anything, and closing
// the ssh session (no pty) sends it nothing: the shell that drives it kills it when its stdin ends
// (dut-process.ts). `--timeout MS` or `-- sleep S` end it on their own with status 0.

import { startDutProcess, toolOutput } from '../remote/dut-process.js';
import { JobError } from '../remote/errors.js';
import { native, onDut } from '../remote/exec-context.js';
import { parsed, toolFailure } from '../remote/tool-failure.js';
import type { ResultFamily } from './benchmark.js';
import type { JobContext, Repetition } from './job.js';

export interface PerfEventCount {
  /** False when perf printed "<not supported>". */
  supported: boolean;
  /** False when not supported, or when perf printed "<not counted>". */
  counted: boolean;
  /** Present only when counted; perf's "msec" (task-clock, cpu-clock) is converted to seconds. */
  count?: number;
  /** The unit of `count` when it has one ("seconds", or perf's own unit such as "MiB"). */
  unit?: string;
}

export interface PerfSample {
  events: Record<string, PerfEventCount>;
}

const VALUE = /^(?:<not supported>|<not counted>|\d[\d,]*(?:\.\d+)?)$/;
// Units perf attaches to a value in the table format (the CSV format has its own column).
const UNITS = new Set(['msec', 'ns', 'Joules', 'MiB', 'KiB', 'GiB', 'Bytes', 'bytes']);

function counter(value: string, unit: string, line: string): PerfEventCount {
  if (value === '<not supported>') return { supported: false, counted: false };
  if (value === '<not counted>') return { supported: true, counted: false };
  // The table format groups thousands with the locale's separator ("1,234,567" in English locales,
  // none in C, OpenWrt's only locale); the CSV format never groups.
  const digits = value.replaceAll(',', '');
  // "<decimal>e-3" converts exactly, unlike dividing the parsed number.
  const count = Number(unit === 'msec' ? `${digits}e-3` : digits);
  if (!Number.isFinite(count)) throw new Error(`perf stat: unreadable count in "${line.trim()}"`);
  const u = unit === 'msec' ? 'seconds' : unit;
  return { supported: true, counted: true, count, ...(u !== '' && { unit: u }) };
}

/** The error perf reported, quoted from its own lines, or undefined. */
function perfError(lines: string[]): string | undefined {
  const syntax = lines.find((l) => l.startsWith('event syntax error:'));
  if (syntax) return syntax.trim();
  const i = lines.findIndex((l) => /^\s*Error:/.test(l));
  if (i >= 0) {
    const rest = lines[i]?.replace(/^\s*Error:\s*/, '').trim();
    // "Error:" alone heads a paragraph (permission, perf_event_open failures): its first line says it.
    const detail =
      rest ||
      lines
        .slice(i + 1)
        .find((l) => l.trim() !== '')
        ?.trim();
    return detail ? `Error: ${detail}` : 'Error:';
  }
  const usage = lines.findIndex((l) => /^\s*Usage: perf stat\b/.test(l));
  if (usage >= 0) {
    const before = lines
      .slice(0, usage)
      .filter((l) => l.trim() !== '')
      .at(-1);
    return before?.trim() ?? lines[usage]?.trim();
  }
  return undefined;
}

/** Parses `perf stat` output (its stderr), with -x, (CSV) or without (the table). */
export function parsePerfStat(text: string): PerfSample {
  const lines = text.split('\n');
  const error = perfError(lines);
  if (error) throw new Error(`perf stat failed: ${error}`);

  const table = lines.some((l) => /^\s*Performance counter stats for /.test(l));
  const events: Record<string, PerfEventCount> = {};
  const add = (event: string, c: PerfEventCount, line: string) => {
    if (events[event]) throw new Error(`perf stat printed "${event}" twice (a repeated -e, or -G?): "${line.trim()}"`);
    events[event] = c;
  };

  if (table) {
    if (!lines.some((l) => /^\s*[\d.]+ seconds time elapsed\s*$/.test(l))) {
      throw new Error('perf stat output is incomplete (truncated?): no "seconds time elapsed" line');
    }
    for (const line of lines) {
      const m = /^\s*(<not supported>|<not counted>|\d[\d,]*(?:\.\d+)?)\s+([^#(]*)/.exec(line);
      if (!m || /^seconds (time elapsed|user|sys)\b/.test(m[2] ?? '')) continue;
      const words = (m[2] ?? '').trim().split(/\s+/);
      const unit = words.length > 1 && UNITS.has(words[0] ?? '') ? (words.shift() as string) : '';
      const event = words[0];
      if (!event) throw new Error(`perf stat: no event name in "${line.trim()}"`);
      add(event, counter(m[1] ?? '', unit, line), line);
    }
  } else {
    for (const line of lines) {
      const f = line.split(',');
      // A line that starts as a counter but lacks the run-time columns was cut short.
      if (!VALUE.test(f[0] ?? '')) continue;
      if (f.length < 5 || !f[2]) throw new Error(`perf stat output is incomplete (truncated?): "${line.trim()}"`);
      add(f[2], counter(f[0] ?? '', f[1] ?? '', line), line);
    }
  }

  if (Object.keys(events).length === 0) {
    const first = lines.find((l) => l.trim() !== '');
    throw new Error(`not perf stat output: no counter line${first ? ` (output: "${first.trim()}")` : ''}`);
  }
  return { events };
}

/** The events the paper counts, and the families their counts go to. */
const EVENTS = [
  { event: 'branch-misses', family: 'edgebench_perf_branch_misses', help: 'Branch misses' },
  { event: 'L1-dcache-load-misses', family: 'edgebench_perf_l1_dcache_load_misses', help: 'L1 data cache load misses' },
] as const;

export const PERF_FAMILIES: ResultFamily[] = EVENTS.map(({ event, family, help }) => ({
  name: family,
  help: `${help} counted system-wide on the DUT (perf stat -a) during one nuttcp transfer, direction seen from the DUT; absent where edgebench_perf_supported is 0`,
  labelNames: ['mode', 'netdev', 'direction'],
  title: `perf ${event}`,
  legend: '{{netdev}} {{direction}}',
  higherIsBetter: false,
  display: { symbol: '', grafana: 'short' },
}));

export interface PerfRun {
  /** Stops counting (SIGINT), records which events the kernel supports, returns the counted ones. */
  counts(): Promise<NonNullable<Repetition['extra']>>;
  kill(): Promise<void>;
}

/**
 * Starts `perf stat -a` on the DUT itself (system-wide counts include every container). Its own
 * --timeout ends it even if the shell that drives it is killed.
 */
export function startPerf(ctx: JobContext, path: string, timeoutMs: number): PerfRun {
  const argv = [path, 'stat', '-a', '-x,', '-e', EVENTS.map((e) => e.event).join(','), '--timeout', String(timeoutMs)];
  const proc = startDutProcess(ctx, native, argv, timeoutMs + 10_000);
  const where = onDut(ctx.dut, native);
  return {
    async counts() {
      // a perf that already ended (missing, unknown event) is reported with its own output here
      const res = await proc.interrupt();
      const output = toolOutput(res);
      // SIGINT makes perf print its counts and re-raise the signal: 130 is its normal end here
      if (res.exitCode !== 130 && res.exitCode !== 0) throw toolFailure(path, where, res.exitCode, output);
      const sample = parsed('perf', where, output, parsePerfStat);
      return EVENTS.flatMap(({ event, family }) => {
        const e = sample.events[event];
        if (!e) throw new JobError('parse', `perf on ${where} printed no line for ${event}`, output);
        ctx.perfSupported(event, e.supported);
        return e.counted && e.count !== undefined ? [{ family, value: e.count }] : [];
      });
    },
    kill: () => proc.kill(),
  };
}
