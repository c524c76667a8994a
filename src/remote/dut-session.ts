// What running commands for a job needs: the DUT's shell, the test machine's clients and the
// job's cancel signal. The job contract (src/benchmarks/job.ts) extends it; remote needs no more.
import type { LocalExec } from './local-exec.js';
import type { ExecOptions, ExecResult } from './ssh-connection.js';

/** Runs a shell command on the DUT (busybox sh). */
export type DutExec = (command: string, opts: ExecOptions) => Promise<ExecResult>;

export interface DutSession {
  /** The DUT's name, for messages. */
  dut: string;
  exec: DutExec;
  /** Runs a client on the test machine. */
  local: LocalExec;
  signal: AbortSignal;
}
