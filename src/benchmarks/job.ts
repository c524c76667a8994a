// The job contract: what the engine runs and what a job may use while it runs. A leaf of the
// benchmarks layer: it imports only the layers below (config fields, remote).
import type { Mode, Repetitions } from '../config/fields.js';
import type { DutSession } from '../remote/dut-session.js';
import type { ExecContext } from '../remote/exec-context.js';

export interface JobContext extends DutSession {
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
  /** Where it runs: on the DUT's own userland or in a container (edgebench_benchmark_success's `mode`). */
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
  /** Runs one repetition. */
  measure(ctx: JobContext): Promise<Repetition>;
}

/** What every job of a benchmark shares. */
export type JobBase = Pick<Job, 'benchmark' | 'family' | 'repetitions' | 'timeoutMs' | 'maxOutputBytes'>;
