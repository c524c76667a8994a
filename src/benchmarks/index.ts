// The benchmark registry: adding a benchmark is adding its file and one entry here.
import type { z } from 'zod';
import { sysbench } from './sysbench.js';
import type { Benchmark } from './types.js';

const byName = { sysbench };

type ParamsOf<B> = B extends Benchmark<infer P> ? P : never;

export const benchmarks: readonly Benchmark<never>[] = Object.values(byName) as Benchmark<never>[];

export function findBenchmark(name: string): Benchmark<never> | undefined {
  return benchmarks.find((b) => b.name === name);
}

/** Each benchmark's parameter schema under its name, all optional: a DUT runs those it lists. */
export const benchmarkParamSchemas = Object.fromEntries(Object.entries(byName).map(([name, b]) => [name, b.params.optional()])) as {
  [K in keyof typeof byName]: z.ZodOptional<z.ZodType<ParamsOf<(typeof byName)[K]>>>;
};
