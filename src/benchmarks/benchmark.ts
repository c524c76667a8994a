// What a benchmark is to the rest of edgebench: a parameter schema, a plan of jobs, the tools whose
// output it parses, and result families that carry everything the exporter, the recording rules
// and the dashboards derive from them.
import type { z } from 'zod';
import type { DutTarget } from '../config/dut.js';
import type { Repetitions } from '../config/fields.js';
import type { Job } from './job.js';

/** How a family's values are shown: in the paper's unit, converted from the exported base unit. */
export interface DisplayUnit {
  /** As the paper writes it: Mbit/s, µs, MFLOPS, MB/s, s. Empty for a count. */
  symbol: string;
  /** Grafana's unit for a value in that unit. */
  grafana: string;
  /** shown = base × multiplier / divisor (both 1 when absent). */
  multiplier?: number;
  divisor?: number;
}

export interface ResultFamily {
  /** Metric name, base unit, without the `_stddev` companion. */
  name: string;
  help: string;
  /**
   * Labels besides `dut`, in order. A family with `mode` has native and lxc twins, compared by a
   * recording rule; a family with `netdev` too pairs each container netdev with the host's series.
   */
  labelNames: readonly string[];
  /** What the dashboards call it. */
  title: string;
  /** Where the paper shows it ("Fig. 2"), if it does. */
  paperRef?: string;
  /** The labels that tell its series apart on one DUT, as a Grafana legend ("{{netdev}} {{direction}}"). */
  legend: string;
  /** Whether a larger value is better: what a positive change against native means. */
  higherIsBetter: boolean;
  display: DisplayUnit;
  /** A paper figure of the common kind: per DUT, native against LXC bars over `instances`. */
  instancesFigure?: { title: string; description: string };
}

export interface ParamIssue {
  path: (string | number)[];
  message: string;
}

export interface Benchmark<P> {
  name: string;
  /**
   * Its place in a round, lowest first: CPU 10-19, memory 20-29, network 30-39, containers 40-49.
   * `npm run generate` lists the benchmarks in this order in src/benchmarks/registered.ts.
   */
  order: number;
  /** The result family, then any companion families its jobs also measure. */
  families: readonly ResultFamily[];
  params: z.ZodType<P>;
  /** `edgebench parse TOOL`: each tool whose raw output the benchmark reads, with its parser. */
  parsers: Readonly<Record<string, (text: string) => unknown>>;
  /** How the DUT-side tool (`path`) prints its version, for the journal; absent when it cannot. */
  versionFlag?: string;
  /** Checks that need the whole DUT entry; paths are relative to the benchmark's parameters. */
  check?(params: P, dut: DutTarget): ParamIssue[];
  plan(params: P, dut: DutTarget, defaults: { repetitions: Repetitions }): Job[];
}
