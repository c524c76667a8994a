// Clients on the test machine (nuttcp, netperf, iperf3 talking to servers on the DUT): spawned
// without a shell, each in a process group of its own so a timeout or cancel kills all of it.
import { spawn } from 'node:child_process';
import { JobError } from './errors.js';
import type { ExecResult } from './ssh-connection.js';

export interface LocalExecOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export type LocalExec = (argv: readonly string[], opts: LocalExecOptions) => Promise<ExecResult>;

export const localExec: LocalExec = (argv, opts) =>
  new Promise((resolve, reject) => {
    const [file, ...args] = argv as [string, ...string[]];
    if (opts.signal?.aborted) return reject(new JobError('cancelled', 'cancelled before start'));
    const child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
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
    child.stdout.on('data', (d: Buffer) => stdout.push(d));
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
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
      const out = Buffer.concat(stdout).toString('utf8');
      const err = Buffer.concat(stderr).toString('utf8');
      if (failure) return reject(new JobError(failure.reason, failure.message, out + err));
      resolve({ stdout: out, stderr: err, exitCode: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15) });
    });
  });
