// lmbench's STREAM (copy, scale, add, triad) and STREAM2 (fill, copy, daxpy, sum): memory bandwidth,
// the paper's Tables C and D. lmbench 3.0-a9's `stream` prints its results on stderr, one suite per
// invocation (`-v 1`, the default, or `-v 2`), as pairs of lines:
//   STREAM copy latency: 0.81 nanoseconds
//   STREAM copy bandwidth: 19670.11 MB/sec
// STREAM2 lines start with "STREAM2". -M is the size of the three arrays together (K and M suffixes
// are powers of 1024), not of one array.

import { z } from 'zod';
import type { DutTarget } from '../config/dut.js';
import { duration, maxOutputBytes, mode, positiveInt, repetitions, toolPath } from '../config/fields.js';
import { JobError } from '../remote/errors.js';
import { native, onDut } from '../remote/exec-context.js';
import { PROBE_MAX_BYTES } from '../remote/output-cap.js';
import { runParallel } from '../remote/parallel.js';
import { parsed } from '../remote/tool-failure.js';
import type { Benchmark, ResultFamily } from './benchmark.js';
import { instanceContexts } from './instances.js';
import type { Job, JobContext } from './job.js';
import { jobBase } from './job-base.js';
import {
  type ArraySize,
  autoArrayMib,
  LMBENCH_MAX_ARRAY_MIB,
  LMBENCH_MAX_TOTAL_MIB,
  MEMORY_SCRIPT,
  MIN_AUTO_ARRAY_MIB,
  splitMemoryLine,
} from './stream-size.js';

/** The kernels of each suite, in lmbench's output order. */
export const STREAM_KERNELS = {
  stream: ['copy', 'scale', 'add', 'triad'],
  stream2: ['fill', 'copy', 'daxpy', 'sum'],
} as const;

export type StreamSuite = keyof typeof STREAM_KERNELS;
export type StreamKernel = (typeof STREAM_KERNELS)[StreamSuite][number];

export interface StreamKernelResult {
  bandwidthBytesPerSecond: number;
  /** lmbench's "latency": time per array element per pass (not a memory access latency). */
  latencySeconds?: number;
}

export type StreamSample =
  | { suite: 'stream'; kernels: Record<(typeof STREAM_KERNELS)['stream'][number], StreamKernelResult> }
  | { suite: 'stream2'; kernels: Record<(typeof STREAM_KERNELS)['stream2'][number], StreamKernelResult> };

const LINE = /^\s*(STREAM2?) (\w+) (latency|bandwidth): (\S+) (nanoseconds|MB\/sec)\s*$/;

/**
 * Parses the output of one `stream` run (its stderr). A text holding both suites' lines (lmbench's
 * own results file does) is rejected: one invocation prints one suite, and a mixed text cannot be
 * attributed to one run.
 */
export function parseStream(text: string): StreamSample {
  const found = { stream: new Map<string, Partial<StreamKernelResult>>(), stream2: new Map<string, Partial<StreamKernelResult>>() };
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const [, prefix, kernel = '', what, value = '', unit] = m;
    const suite: StreamSuite = prefix === 'STREAM2' ? 'stream2' : 'stream';
    if (!(STREAM_KERNELS[suite] as readonly string[]).includes(kernel)) {
      throw new Error(`lmbench stream: unknown ${prefix} kernel "${kernel}" in "${line.trim()}"`);
    }
    // Parsing "<decimal>e<exp>" converts exactly, unlike multiplying the parsed number.
    // MB is 10^6 bytes: lmbench's src/lib_timing.c line 28 `#define MB (1000*1000.0)` (intel/lmbench
    // 0806f9e5, "bandwidths are all power of ten"), divided out by mb(), which prints "%.2f MB/sec".
    // lmbench prints "%.2f": Number() would also read "-5", "0x1F" (hex, with the exponent appended) or "1e400".
    const decimal = /^\d+(?:\.\d+)?$/.test(value);
    const n = decimal ? Number(`${value}e${unit === 'nanoseconds' ? -9 : 6}`) : Number.NaN;
    // A zero-length array (-M 0, or -M with no digits: lmbench's atoi gives 0) prints "inf
    // nanoseconds" and "0.00 MB/sec" and exits 0: that is a failed run, never a value.
    if (n === 0 || value === 'inf') {
      throw new Error(`lmbench stream measured nothing (array size -M too small?): "${line.trim()}"`);
    }
    if (!Number.isFinite(n)) throw new Error(`lmbench stream: unreadable value in "${line.trim()}"`);
    const entry = found[suite].get(kernel) ?? {};
    const key = what === 'latency' ? 'latencySeconds' : 'bandwidthBytesPerSecond';
    if (entry[key] !== undefined) throw new Error(`lmbench stream: "${prefix} ${kernel} ${what}" appears twice: one run per text`);
    entry[key] = n;
    found[suite].set(kernel, entry);
  }

  if (found.stream.size > 0 && found.stream2.size > 0) {
    throw new Error('lmbench stream: the text mixes STREAM and STREAM2 lines; parse the output of one `stream` invocation');
  }
  const suite: StreamSuite | undefined = found.stream.size > 0 ? 'stream' : found.stream2.size > 0 ? 'stream2' : undefined;
  if (!suite) {
    const usage = /^Usage: .*\bstream\b.*$/m.exec(text)?.[0];
    if (usage) throw new Error(`lmbench stream rejected its arguments: ${usage.trim()}`);
    const first = text.split('\n').find((l) => l.trim() !== '');
    throw new Error(`not lmbench stream output: no "STREAM <kernel> bandwidth" line${first ? ` (output: "${first.trim()}")` : ''}`);
  }
  const kernels: Record<string, StreamKernelResult> = {};
  const missing: string[] = [];
  for (const k of STREAM_KERNELS[suite]) {
    const e = found[suite].get(k);
    if (e?.bandwidthBytesPerSecond === undefined) missing.push(k);
    else
      kernels[k] = {
        bandwidthBytesPerSecond: e.bandwidthBytesPerSecond,
        ...(e.latencySeconds !== undefined && { latencySeconds: e.latencySeconds }),
      };
  }
  if (missing.length > 0) {
    throw new Error(`lmbench ${suite} output is incomplete (truncated?): no bandwidth line for ${missing.join(', ')}`);
  }
  return { suite, kernels } as StreamSample;
}

/**
 * What the DUT's kernel tells of its CPU caches, read with shell builtins (no `cat` in the job):
 * cpu0's sysfs cacheinfo sizes, one per line as the kernel prints them ("32K"); without them (MIPS
 * kernels before 4.11, such as OpenWrt 17.01's 4.4; some VM kernels), the first "cache size" line of
 * /proc/cpuinfo, which x86 kernels print ("cache size\t: 1024 KB": the last level on Intel, L2 on AMD).
 */
export const CACHE_SIZES_SCRIPT = [
  'found=',
  'for f in /sys/devices/system/cpu/cpu0/cache/index*/size; do [ -r "$f" ] && read -r s <"$f" && echo "$s" && found=1; done',
  '[ -n "$found" ] || [ ! -r /proc/cpuinfo ] || while IFS= read -r l; do case $l in "cache size"*) echo "$l"; break ;; esac; done </proc/cpuinfo',
  'exit 0',
].join('\n');

const UNIT: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/**
 * The largest CPU cache in bytes, from CACHE_SIZES_SCRIPT's output: sysfs sizes ("<KiB>K"; K, M and
 * G are read as powers of 1024, a bare number as bytes), or /proc/cpuinfo's "cache size : N KB".
 * The array is sized from it (STREAM's rule: well above the last-level cache).
 */
export function parseCacheSizes(text: string): number {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0) {
    throw new Error('no cache sizes: the kernel shows none in /sys/devices/system/cpu/cpu0/cache nor a "cache size" line in /proc/cpuinfo');
  }
  let largest = 0;
  for (const line of lines) {
    const m = /^(\d+)([KMG]?)$/i.exec(line) ?? /^cache size\s*:\s*(\d+) ?([KMG])B$/i.exec(line);
    if (!m) throw new Error(`not a cache size list: "${line}"`);
    const size = Number(m[1]) * (UNIT[(m[2] ?? '').toUpperCase()] ?? 1);
    // 400 digits would be Infinity bytes, and an array sized from it
    if (!Number.isSafeInteger(size)) throw new Error(`not a cache size: "${line}"`);
    largest = Math.max(largest, size);
  }
  if (largest === 0) throw new Error('no cache sizes: every size read 0');
  return largest;
}

const params = z.strictObject({
  modes: z.array(mode).min(1).default(['native', 'lxc']).meta({ description: 'lxc runs in the first pool container' }),
  suites: z
    .array(z.enum(['stream', 'stream2']))
    .min(1)
    .default(['stream', 'stream2']),
  array_mib: z
    .union([
      z.literal('auto'),
      positiveInt(1 << 20).max(LMBENCH_MAX_ARRAY_MIB, {
        message: `must be at most ${LMBENCH_MAX_ARRAY_MIB}: lmbench holds -M (the 3 arrays) in a C int, at most ${LMBENCH_MAX_TOTAL_MIB}M`,
      }),
    ])
    .default('auto')
    .meta({
      description: `MiB per array (lmbench uses three; at most ${LMBENCH_MAX_ARRAY_MIB}); auto: cache_multiple x the DUT's largest CPU cache, at least ${MIN_AUTO_ARRAY_MIB} MiB, at most ${LMBENCH_MAX_ARRAY_MIB} MiB and half the DUT's available memory`,
    }),
  cache_multiple: positiveInt(64)
    .default(4)
    .meta({ description: 'With array_mib auto: each array at least this many times the largest cache' }),
  repetitions: repetitions.optional(),
  timeout: duration('5m').prefault('5m').meta({ description: 'Per repetition' }),
  max_output_bytes: maxOutputBytes,
  path: toolPath.default('stream').meta({ description: "lmbench's stream; Debian: /usr/lib/lmbench/bin/<arch>/stream" }),
});
type Params = z.output<typeof params>;

const family: ResultFamily = {
  name: 'edgebench_stream_bandwidth_bytes_per_second',
  help: 'lmbench STREAM and STREAM2 memory bandwidth per kernel (lmbench MB = 10^6 bytes)',
  labelNames: ['mode', 'suite', 'kernel'],
  title: 'STREAM / STREAM2 bandwidth',
  paperRef: 'Tables C, D',
  legend: '{{suite}} {{kernel}}',
  higherIsBetter: true,
  // lmbench's MB: 10^6 bytes
  display: { symbol: 'MB/s', grafana: 'MBs', divisor: 1e6 },
};

/** What `array_mib: auto` reads on the DUT: the caches, then the available memory; one exec, builtins only. */
export const ARRAY_SIZE_SCRIPT = `(\n${CACHE_SIZES_SCRIPT}\n)\n${MEMORY_SCRIPT}`;

async function arrayMib(ctx: JobContext, p: Params): Promise<ArraySize> {
  if (p.array_mib !== 'auto') return { mib: p.array_mib, notes: [] };
  const res = await ctx.exec(ARRAY_SIZE_SCRIPT, { timeoutMs: 15_000, signal: ctx.signal, maxOutputBytes: PROBE_MAX_BYTES });
  const where = onDut(ctx.dut, native);
  return parsed('stream', where, res.stdout, (text) => {
    const { memoryBytes, rest } = splitMemoryLine(text);
    let cache: number;
    try {
      cache = parseCacheSizes(rest);
    } catch (err) {
      throw new Error(`cannot size the arrays from the CPU caches (${(err as Error).message}): set array_mib`);
    }
    return autoArrayMib(cache, p.cache_multiple, memoryBytes);
  });
}

function plan(p: Params, dut: DutTarget, defaults: Pick<Job, 'repetitions'>): Job[] {
  return p.modes.flatMap((m) =>
    p.suites.map((suite): Job => {
      const where = instanceContexts(m, 1, dut);
      const [first, ...others] = STREAM_KERNELS[suite];
      let size: ArraySize | undefined;
      return {
        ...jobBase('stream', family, p, defaults),
        mode: m,
        netdev: '',
        labels: { mode: m, suite, kernel: first },
        async measure(ctx) {
          size ??= await arrayMib(ctx, p);
          // lmbench calibrates its timing loops for 35-50 s per run unless these are set
          const argv = [
            'env',
            'ENOUGH=100000',
            'TIMING_O=0',
            'LOOP_O=0',
            p.path,
            ...(suite === 'stream2' ? ['-v', '2'] : []),
            '-M',
            `${3 * size.mib}M`,
          ];
          const [run] = await runParallel(ctx, where, argv, p.timeout, p.path);
          const { where: on, output } = run as { where: string; output: string };
          const sample = parsed('stream', on, output, parseStream);
          if (sample.suite !== suite) throw new JobError('parse', `stream on ${on} printed ${sample.suite}, not ${suite}`, output);
          const bandwidth = (k: string) => (sample.kernels as Record<string, StreamKernelResult>)[k]?.bandwidthBytesPerSecond ?? Number.NaN;
          return {
            values: [bandwidth(first)],
            ...(size.notes.length > 0 && { notes: size.notes }),
            extra: others.map((kernel) => ({ family: family.name, labels: { kernel }, value: bandwidth(kernel) })),
          };
        },
      };
    }),
  );
}

export const stream: Benchmark<Params> = {
  name: 'stream',
  order: 20,
  families: [family],
  params,
  parsers: { stream: parseStream },
  check: (p, dut) =>
    p.modes.includes('lxc') && dut.containers.pool.length === 0
      ? [{ path: ['modes'], message: 'lxc mode runs in the first pool container: containers.pool is empty' }]
      : [],
  plan,
};
