// Preloaded into `edgebench run` (node --import …/exec-trace.js) by benchmarks that need to know
// which command each of edgebench's SSH exec channels ran, and when: it wraps ssh2's
// Client.prototype.exec, before edgebench loads, to append {"t": epoch ms, "command": …} to the file
// named by EDGEBENCH_BENCH_EXEC_TRACE, then opens the channel as before. The DUT forks one process
// per exec channel in the order the channels ask, so the k-th line names the k-th child of the
// DUT's SSH session. Observation only: one synchronous append (tens of µs) per command.
import { appendFileSync } from 'node:fs';
import ssh2 from 'ssh2';

const file = process.env.EDGEBENCH_BENCH_EXEC_TRACE;
if (file) {
  type Exec = (this: unknown, command: string, ...rest: unknown[]) => unknown;
  const proto = ssh2.Client.prototype as unknown as { exec: Exec };
  const exec = proto.exec;
  proto.exec = function (this: unknown, command: string, ...rest: unknown[]) {
    appendFileSync(file, `${JSON.stringify({ t: Date.now(), command })}\n`);
    return exec.call(this, command, ...rest);
  };
}

export interface TracedExec {
  /** Epoch ms when edgebench asked for the channel. */
  t: number;
  command: string;
}
