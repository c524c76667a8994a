// The benchmark registry. Adding a benchmark is writing its module (a `Benchmark` with its result
// families) and running `npm run generate`, which lists it in registered.ts. Everything else (the
// config schema, the exporter's families, the recording rules and their tests, the dashboards,
// `edgebench parse`, the run table) is derived from these entries.
import type { z } from 'zod';
import type { DutTarget } from '../config/dut.js';
import type { Repetitions } from '../config/fields.js';
import type { Benchmark, ParamIssue } from './benchmark.js';
import type { Job } from './job.js';
import { registered as entries } from './registered.js';

export type BenchmarkName = keyof typeof entries;
type ParamsOf<B> = B extends Benchmark<infer P> ? P : never;
type ParamsByName = { [K in BenchmarkName]: ParamsOf<(typeof entries)[K]> };
/** A DUT's `benchmarks:` key: each benchmark's parameters under its name, those it runs. */
export type BenchmarkParams = { [K in BenchmarkName]?: ParamsByName[K] };

// Indexed by a generic name, this type gives Benchmark<ParamsByName[K]>: parameters and plan stay
// tied to each other without erasing either.
const registry: { [K in BenchmarkName]: Benchmark<ParamsByName[K]> } = entries;

export const benchmarkNames = Object.keys(registry) as BenchmarkName[];

/** What the rest of edgebench reads of a benchmark without its parameters. */
export type BenchmarkInfo = Pick<Benchmark<unknown>, 'families' | 'parsers' | 'versionFlag'> & { name: BenchmarkName };

export const benchmarks: readonly BenchmarkInfo[] = benchmarkNames.map((name) => ({ ...registry[name], name }));

export const isBenchmarkName = (name: string): name is BenchmarkName => Object.hasOwn(registry, name);

/** Each benchmark's parameter schema under its name, all optional: a DUT runs those it lists. */
export const benchmarkParamSchemas = Object.fromEntries(benchmarkNames.map((name) => [name, registry[name].params.optional()])) as {
  [K in BenchmarkName]: z.ZodOptional<z.ZodType<ParamsByName[K]>>;
};

export function planBenchmark<K extends BenchmarkName>(
  name: K,
  params: ParamsByName[K],
  dut: DutTarget,
  defaults: { repetitions: Repetitions },
): Job[] {
  return registry[name].plan(params, dut, defaults);
}

export function checkBenchmark<K extends BenchmarkName>(name: K, params: ParamsByName[K], dut: DutTarget): ParamIssue[] {
  return registry[name].check?.(params, dut) ?? [];
}

/** `edgebench parse TOOL`: every tool whose raw output edgebench reads. */
export const parsers: Readonly<Record<string, (text: string) => unknown>> = Object.assign({}, ...benchmarks.map((b) => b.parsers));
