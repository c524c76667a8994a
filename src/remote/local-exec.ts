// Clients on the test machine (nuttcp, netperf, iperf3 talking to servers on the DUT): spawned
// without a shell, each in a process group of its own so a timeout or cancel kills all of it.
import { spawn } from 'node:child_process';
import { JobError } from './errors.js';
import { CappedOutput, DEFAULT_MAX_OUTPUT_BYTES } from './output-cap.js';
import type { ExecResult } from './ssh-connection.js';

export interface LocalExecOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Bytes the client may print on stdout, and again on stderr; past it the client is killed (output_too_large). */
  maxOutputBytes?: number;
}

export type LocalExec = (argv: readonly string[], opts: LocalExecOptions) => Promise<ExecResult>;

export const localExec: LocalExec = (argv, opts) =>
  new Promise((resolve, reject) => {
    const [file, ...args] = argv as [string, ...string[]];
    if (opts.signal?.aborted) return reject(new JobError('cancelled', 'cancelled before start'));
    const child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const stdout = new CappedOutput(maxBytes);
    const stderr = new CappedOutput(maxBytes);
    let failure: JobError | undefined;
    const killGroup = (err: JobError) => {
      failure ??= err;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(
      () => killGroup(new JobError('timeout', `${file} timed out after ${opts.timeoutMs / 1000}s on the test machine`)),
      opts.timeoutMs,
    );
    const onAbort = () => killGroup(new JobError('cancelled', 'cancelled'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    // what a client prints is the DUT's doing too (a hostile server's answers): bounded the same way
    const collect = (name: string, out: CappedOutput) => (d: Buffer) => {
      if (failure || out.push(d)) return;
      killGroup(
        new JobError('output_too_large', `${file} printed more than ${maxBytes} bytes on ${name} on the test machine (max_output_bytes)`),
      );
    };
    child.stdout.on('data', collect('stdout', stdout));
    child.stderr.on('data', collect('stderr', stderr));
    const done = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      done();
      reject(
        err.code === 'ENOENT'
          ? new JobError('tool_missing', `${file} not found on the test machine: install it there (it is the client side)`)
          : new JobError('exit_status', `${file} could not start on the test machine: ${err.message}`),
      );
    });
    child.once('close', (code, signal) => {
      done();
      const out = stdout.text();
      const err = stderr.text();
      if (failure) return reject(new JobError(failure.reason, failure.message, out + err));
      resolve({ stdout: out, stderr: err, exitCode: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15) });
    });
  });
