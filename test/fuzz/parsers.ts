// The parsers under fuzz, and what each must answer: a result whose numbers are all finite and >= 0
// (those that become metric values > 0 where zero means nothing was measured), or an ordinary Error
// (ToolReportedError where the parser quotes the tool's own report) whose message names the tool.
import { parseIperf3 } from '../../src/benchmarks/iperf3.js';
import { parseLinpack } from '../../src/benchmarks/linpack.js';
import { parseNetperf } from '../../src/benchmarks/netperf.js';
import { parseNuttcp } from '../../src/benchmarks/nuttcp.js';
import { parsePerfStat } from '../../src/benchmarks/perf.js';
import { parseCacheSizes, parseStream } from '../../src/benchmarks/stream.js';
import { parseSysbench } from '../../src/benchmarks/sysbench.js';
import { ToolReportedError } from '../../src/remote/errors.js';
import { type Capture, type Corpus, captures, corpus } from './mutate.js';
import type { Outcome } from './parse-worker.js';

export interface ParserSpec {
  /** The test's name. */
  name: string;
  /** dist/<module> and the export, for the worker. */
  module: string;
  fn: string;
  parse: (text: string) => unknown;
  /** Must match the message before its first quote (quotes hold the tool's text, not the parser's words). */
  tool: RegExp;
  corpus: Corpus;
  /** The fixed seed of this parser's fuzz tests. */
  seed: number;
  /** The values of a result that become metrics and must be > 0. */
  positive: (result: never) => Record<string, unknown>;
}

const TOOLS = ['sysbench', 'linpack', 'stream', 'nuttcp', 'netperf', 'iperf3', 'perf'];
const all = Object.fromEntries(TOOLS.map((t) => [t, captures(t)])) as Record<string, Capture[]>;
const others = (...own: string[]) => TOOLS.filter((t) => !own.includes(t)).flatMap((t) => all[t] as Capture[]);
const isCacheInput = (f: string) => /^(sysfs|cpuinfo|proc-cpuinfo)/.test(f);

type Kernels = Record<string, { bandwidthBytesPerSecond: number; latencySeconds?: number }>;

export const PARSERS: ParserSpec[] = [
  {
    name: 'parseSysbench',
    module: 'benchmarks/sysbench.js',
    fn: 'parseSysbench',
    parse: parseSysbench,
    tool: /sysbench/,
    corpus: corpus(all.sysbench as Capture[], others('sysbench')),
    seed: 0x5b5e_0001,
    positive: (r: { totalTimeSeconds: number }) => ({ totalTimeSeconds: r.totalTimeSeconds }),
  },
  {
    name: 'parseLinpack',
    module: 'benchmarks/linpack.js',
    fn: 'parseLinpack',
    parse: parseLinpack,
    tool: /linpack|hpcc|\bHPL\b/i,
    corpus: corpus(all.linpack as Capture[], others('linpack')),
    seed: 0x5b5e_0002,
    // HPL prints the time as %.2f: 0.00 s is a small N, not a failure (the walk still wants it finite and >= 0)
    positive: (r: { flops: number; n: number }) => ({ flops: r.flops, n: r.n }),
  },
  {
    name: 'parseNuttcp',
    module: 'benchmarks/nuttcp.js',
    fn: 'parseNuttcp',
    parse: parseNuttcp,
    tool: /nuttcp/,
    corpus: corpus(all.nuttcp as Capture[], others('nuttcp')),
    seed: 0x5b5e_0003,
    positive: (r: { goodputBytesPerSecond: number; seconds: number }) => ({ goodput: r.goodputBytesPerSecond, seconds: r.seconds }),
  },
  {
    name: 'parseNetperf',
    module: 'benchmarks/netperf.js',
    fn: 'parseNetperf',
    parse: parseNetperf,
    tool: /netperf/,
    corpus: corpus(all.netperf as Capture[], others('netperf')),
    seed: 0x5b5e_0004,
    positive: (r: { transactionsPerSecond: number; rttSeconds: number }) => ({ rate: r.transactionsPerSecond, rtt: r.rttSeconds }),
  },
  {
    name: 'parseIperf3',
    module: 'benchmarks/iperf3.js',
    fn: 'parseIperf3',
    parse: parseIperf3,
    tool: /iperf3/,
    corpus: corpus(all.iperf3 as Capture[], others('iperf3')),
    seed: 0x5b5e_0005,
    positive: (r: { throughputBytesPerSecond: number; seconds: number }) => ({
      throughput: r.throughputBytesPerSecond,
      seconds: r.seconds,
    }),
  },
  {
    name: 'parseStream',
    module: 'benchmarks/stream.js',
    fn: 'parseStream',
    parse: parseStream,
    tool: /lmbench/,
    corpus: corpus(
      (all.stream as Capture[]).filter((c) => !isCacheInput(c.name.split('/')[1] as string)),
      others('stream'),
    ),
    seed: 0x5b5e_0006,
    positive: (r: { kernels: Kernels }) =>
      Object.fromEntries(
        Object.entries(r.kernels).flatMap(([k, v]) => [
          [`${k}.bandwidth`, v.bandwidthBytesPerSecond],
          [`${k}.latency`, v.latencySeconds ?? 1],
        ]),
      ),
  },
  {
    name: 'parseCacheSizes',
    module: 'benchmarks/stream.js',
    fn: 'parseCacheSizes',
    parse: parseCacheSizes,
    tool: /cache size/,
    corpus: corpus(
      (all.stream as Capture[]).filter((c) => isCacheInput(c.name.split('/')[1] as string)),
      [...(all.stream as Capture[]).filter((c) => !isCacheInput(c.name.split('/')[1] as string)), ...others('stream')],
    ),
    seed: 0x5b5e_0007,
    positive: (r: number) => ({ bytes: r }),
  },
  {
    name: 'parsePerfStat',
    module: 'benchmarks/perf.js',
    fn: 'parsePerfStat',
    parse: parsePerfStat,
    tool: /perf stat/,
    corpus: corpus(all.perf as Capture[], others('perf')),
    seed: 0x5b5e_0008,
    positive: () => ({}), // counts may be 0: the walk checks they are finite and >= 0
  },
];

/** Runs a parser in this thread and classifies what it threw the way the worker does. */
export function runHere(spec: ParserSpec, text: string): Outcome {
  try {
    return { ok: true, result: spec.parse(text) };
  } catch (err) {
    const kind =
      err instanceof ToolReportedError
        ? 'ToolReportedError'
        : err !== null && typeof err === 'object' && Object.getPrototypeOf(err) === Error.prototype
          ? 'Error'
          : String((err as { constructor?: { name?: string } })?.constructor?.name ?? typeof err);
    return { ok: false, kind, message: String((err as Error)?.message) };
  }
}

function numbersIn(value: unknown, path: string, out: [string, number][]): void {
  if (typeof value === 'number') out.push([path, value]);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) numbersIn(v, path ? `${path}.${k}` : k, out);
  }
}

const clip = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…(${s.length} chars)` : s);

/** What is wrong with an outcome, or undefined when it keeps the contract. */
export function violation(spec: ParserSpec, outcome: Outcome): string | undefined {
  if (!outcome.ok) {
    if (outcome.kind !== 'Error' && outcome.kind !== 'ToolReportedError') return `threw ${outcome.kind}: ${clip(outcome.message)}`;
    const own = outcome.message.split('"')[0] ?? '';
    if (!spec.tool.test(own)) return `error does not name the tool (${spec.tool}): ${clip(outcome.message)}`;
    return undefined;
  }
  const numbers: [string, number][] = [];
  numbersIn(outcome.result, '', numbers);
  for (const [path, n] of numbers) {
    if (!Number.isFinite(n) || n < 0) return `result ${path || 'value'} = ${n}: not a finite number >= 0`;
  }
  for (const [name, v] of Object.entries(spec.positive(outcome.result as never))) {
    if (typeof v !== 'number' || !(v > 0)) return `metric ${name} = ${String(v)}: must be > 0`;
  }
  return undefined;
}
