// What a benchmark is to the engine: a parameter schema, result families, a plan of jobs, a parser.
import type { z } from 'zod';
import type { Mode, Repetitions } from '../config/fields.js';
import type { DutConfig } from '../config/schema.js';
import type { ExecContext } from '../remote/exec-context.js';
import type { LocalExec } from '../remote/local-exec.js';
import type { ExecOptions, ExecResult } from '../remote/ssh-connection.js';

/** Runs a shell command on the DUT (busybox sh). */
export type DutExec = (command: string, opts: ExecOptions) => Promise<ExecResult>;

export interface JobContext {
  /** The DUT's name, for messages. */
  dut: string;
  exec: DutExec;
  /** Runs a client on the test machine. */
  local: LocalExec;
  signal: AbortSignal;
  /** Records whether the DUT's kernel counts a perf event (edgebench_perf_supported). */
  perfSupported(event: string, supported: boolean): void;
  /** The path of a working directory the round made for a job (Job.workDirs); a JobError if it could not. */
  workDir(dir: WorkDir): string;
}

/**
 * A private directory on the DUT, with files a tool reads from its current directory. `slot`
 * tells apart the directories of instances in the same context (k native instances).
 */
export interface WorkDir {
  where: ExecContext;
  slot: number;
  files: Readonly<Record<string, string>>;
}

export interface ResultFamily {
  /** Metric name, base unit, without the `_stddev` companion. */
  name: string;
  help: string;
  /** Labels besides `dut`, in order. */
  labelNames: readonly string[];
}

/** What one repetition measured. */
export interface Repetition {
  /** The job's own series (its family and labels), in the base unit: one value per instance, or one. */
  values: number[];
  /**
   * Further series the same run measured: perf counters during nuttcp, STREAM's other kernels.
   * Their labels are the job's, with these values overriding. The spread that decides how often a
   * job repeats is that of its own series.
   */
  extra?: { family: string; labels?: Record<string, string>; value: number }[];
  /** Why the run differs from the method's rule (STREAM's array size, say): logged and journaled with the job. */
  notes?: string[];
}

export interface Job {
  benchmark: string;
  /** The result family the values belong to. */
  family: string;
  mode: Mode;
  /** host | veth | macvlan for network benchmarks; '' where no network path is measured. */
  netdev: string;
  /** Values of the family's labels besides `dut`. */
  labels: Record<string, string>;
  repetitions: Repetitions;
  /** Per repetition. */
  timeoutMs: number;
  /** What each command of the job may print, per stream (the exec and local calls of its context are bounded so). */
  maxOutputBytes: number;
  /** Where the job's traffic goes from the test machine: jobs crossing the same TM link never overlap. */
  trafficTo?: string;
  /** Working directories its instances need: made before the round's first job, removed after its last. */
  workDirs?: readonly WorkDir[];
  runOnce(ctx: JobContext): Promise<Repetition>;
}

/** What every job of a benchmark shares. */
export type JobBase = Pick<Job, 'benchmark' | 'family' | 'repetitions' | 'timeoutMs' | 'maxOutputBytes'>;

export interface ParamIssue {
  path: (string | number)[];
  message: string;
}

export interface Benchmark<P = unknown> {
  name: string;
  /** The result family, then any companion families its jobs also measure. */
  families: readonly ResultFamily[];
  params: z.ZodType<P>;
  /** How the DUT-side tool (`path`) prints its version, for the journal; absent when it cannot. */
  versionFlag?: string;
  /** Checks that need the whole DUT entry; paths are relative to the benchmark's parameters. */
  check?(params: P, dut: DutConfig): ParamIssue[];
  plan(params: P, dut: DutConfig, defaults: { repetitions: Repetitions }): Job[];
}
