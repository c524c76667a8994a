// The benchmark registry: adding a benchmark is adding its file and one line here.
import { sysbench } from './sysbench.js';
import type { Benchmark } from './types.js';

export const benchmarks: readonly Benchmark<never>[] = [sysbench as Benchmark<never>];

export function findBenchmark(name: string): Benchmark<never> | undefined {
  return benchmarks.find((b) => b.name === name);
}

/** Each benchmark's parameter schema under its name, all optional: a DUT runs those it lists. */
export const benchmarkParamSchemas = Object.fromEntries(benchmarks.map((b) => [b.name, b.params.optional()]));
