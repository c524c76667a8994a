// The benchmark registry: adding a benchmark is adding its file and one entry here.
import type { z } from 'zod';
import { iperf3, parseIperf3 } from './iperf3.js';
import { linpack, parseLinpack } from './linpack.js';
import { netperf, parseNetperf } from './netperf.js';
import { nuttcp, parseNuttcp } from './nuttcp.js';
import { parsePerfStat } from './perf.js';
import { parseStream, stream } from './stream.js';
import { parseSysbench, sysbench } from './sysbench.js';
import type { Benchmark } from './types.js';

/** In the order a round runs them: CPU, memory, then the network (perf counts during nuttcp). */
const byName = { sysbench, linpack, stream, nuttcp, netperf, iperf3 };

type ParamsOf<B> = B extends Benchmark<infer P> ? P : never;

export const benchmarks: readonly Benchmark<never>[] = Object.values(byName) as Benchmark<never>[];

export function findBenchmark(name: string): Benchmark<never> | undefined {
  return benchmarks.find((b) => b.name === name);
}

/** Each benchmark's parameter schema under its name, all optional: a DUT runs those it lists. */
export const benchmarkParamSchemas = Object.fromEntries(Object.entries(byName).map(([name, b]) => [name, b.params.optional()])) as {
  [K in keyof typeof byName]: z.ZodOptional<z.ZodType<ParamsOf<(typeof byName)[K]>>>;
};

/** `edgebench parse TOOL`: every tool whose raw output edgebench reads. */
export const parsers: Record<string, (text: string) => unknown> = {
  sysbench: parseSysbench,
  linpack: parseLinpack,
  hpcc: parseLinpack,
  nuttcp: parseNuttcp,
  netperf: parseNetperf,
  iperf3: parseIperf3,
  stream: parseStream,
  perf: parsePerfStat,
};
