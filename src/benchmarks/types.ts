// What a benchmark is to the engine: a parameter schema, a result family, a plan of jobs, a parser.
import type { z } from 'zod';
import type { Mode } from '../config/fields.js';
import type { DutConfig } from '../config/schema.js';
import type { ExecOptions, ExecResult } from '../remote/ssh-connection.js';

/** Runs a shell command on the DUT (busybox sh). */
export type DutExec = (command: string, opts: ExecOptions) => Promise<ExecResult>;

export interface JobContext {
  exec: DutExec;
  signal: AbortSignal;
}

export interface ResultFamily {
  /** Metric name, base unit, without the `_stddev` companion. */
  name: string;
  help: string;
  /** Labels besides `dut`, in order. */
  labelNames: readonly string[];
}

export interface Job {
  benchmark: string;
  mode: Mode;
  /** host | veth | macvlan for network benchmarks; '' where no network path is measured. */
  netdev: string;
  /** Values of the family's labels besides `dut`. */
  labels: Record<string, string>;
  repetitions: number;
  timeoutMs: number;
  /** One repetition: the samples it yields, in the family's base unit (e.g. one per instance). */
  runOnce(ctx: JobContext): Promise<number[]>;
}

export interface ParamIssue {
  path: (string | number)[];
  message: string;
}

export interface Benchmark<P = unknown> {
  name: string;
  family: ResultFamily;
  params: z.ZodType<P>;
  /** Checks that need the whole DUT entry; paths are relative to the benchmark's parameters. */
  check?(params: P, dut: DutConfig): ParamIssue[];
  plan(params: P, dut: DutConfig, defaults: { repetitions: number }): Job[];
  /** The tool's raw output to typed samples; throws on text that is not this tool's output. */
  parse(text: string): unknown;
}
