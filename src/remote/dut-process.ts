// Long-running processes on the DUT for the length of a client run: network servers (nuttcp,
// netserver, iperf3) and perf stat. Each holds an exec channel of its own, so ending it goes
// through the same kill-by-marker path as a timeout: nothing it started survives, in a container
// or not. Callers stop them in `finally`, also when the job fails or times out.
import type { JobContext } from '../benchmarks/types.js';
import { JobError } from './errors.js';
import { checkedCommandIn, commandIn, type ExecContext, notRunningCheck, onDut } from './exec-context.js';
import { newJobId } from './remote-process.js';
import { shellCommand } from './shell-quote.js';
import type { ExecResult } from './ssh-connection.js';
import { containerFailure, toolFailure } from './tool-failure.js';

const LISTEN_WAIT_MS = 10_000;

export interface DutProcess {
  /** Sends SIGINT (perf prints its counts on it) and returns the output; native processes only. */
  interrupt(): Promise<ExecResult>;
  /** Kills the process and everything it started. Never throws. */
  kill(): Promise<void>;
}

/**
 * Starts argv in `where`, in the background of its own channel. Only an `interruptible` process
 * (perf, which prints its counts on SIGINT) gets a pid file: a server ends by the kill, which takes
 * the wrapping shell too, so its `rm` would never run and the file would stay in the DUT's /tmp.
 */
export function startDutProcess(
  ctx: JobContext,
  where: ExecContext,
  argv: readonly string[],
  timeoutMs: number,
  { interruptible = false } = {},
): DutProcess & { exited: Promise<ExecResult> } {
  const abort = new AbortController();
  const stopWithParent = () => abort.abort();
  ctx.signal.addEventListener('abort', stopWithParent, { once: true });
  const pidFile = `/tmp/edgebench-${newJobId()}.pid`;
  // a process that ends on its own with a failure (not killed: the kill takes this shell too) is
  // told apart from a container that is not running
  const run = interruptible
    ? `${commandIn(where, argv)} & echo $! >${pidFile}; wait $!; rc=$?; rm -f ${pidFile}`
    : `${commandIn(where, argv)}; rc=$?`;
  const exited = ctx.exec(`${run}; [ "$rc" -eq 0 ] || ${notRunningCheck(where)}; exit $rc`, { timeoutMs, signal: abort.signal });
  let ended = false; // on its own: the shell got to its `rm`
  exited
    .then(() => (ended = true))
    .catch(() => {})
    .finally(() => ctx.signal.removeEventListener('abort', stopWithParent));
  return {
    exited,
    async interrupt() {
      if (!interruptible) throw new Error('startDutProcess: interrupt() needs { interruptible: true }');
      // builtins only: no `cat` beside the process it interrupts
      await ctx.exec(`read -r pid <${pidFile} && kill -INT "$pid"`, { timeoutMs: 10_000, signal: ctx.signal });
      return exited;
    },
    async kill() {
      abort.abort();
      await exited.catch(() => {});
      // killed before it could remove its pid file
      if (interruptible && !ended) await ctx.exec(`rm -f ${pidFile}`, { timeoutMs: 10_000 }).catch(() => {});
    },
  };
}

/** A busybox-sh loop that exits 0 once something listens on TCP `port` in this network namespace. */
export function listenWaitScript(port: number, waitMs = LISTEN_WAIT_MS): string {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return [
    'i=0',
    `while [ "$i" -lt ${Math.ceil(waitMs / 10)} ]; do`,
    // builtins only: a grep per poll would run beside the server; no tcp6 without IPv6
    '  for f in /proc/net/tcp /proc/net/tcp6; do',
    '    [ -r "$f" ] || continue',
    `    while read -r sl local_address rem_address st rest; do case $local_address:$st in *:${hex}:0A) exit 0 ;; esac; done <"$f"`,
    '  done',
    // every 10 ms: a server listens within a few ms, and each poll is one sleep; busybox without
    // FEATURE_FLOAT_SLEEP rejects fractions
    '  sleep 0.01 2>/dev/null || sleep 1',
    '  i=$((i+1))',
    'done',
    'exit 1',
  ].join('\n');
}

/**
 * Starts a server in `where` and resolves once it listens on TCP `port`. A server that exits
 * first (tool missing, port taken) fails the job with its own output; one that never listens too.
 */
export async function startDutServer(
  ctx: JobContext,
  where: ExecContext,
  argv: readonly string[],
  port: number,
  timeoutMs: number,
): Promise<DutProcess> {
  const server = startDutProcess(ctx, where, argv, timeoutMs);
  const listening = ctx.exec(checkedCommandIn(where, ['sh', '-c', listenWaitScript(port)]), {
    timeoutMs: LISTEN_WAIT_MS + 5_000,
    signal: ctx.signal,
  });
  const first = await Promise.race([
    server.exited.then(
      (res) => ({ exited: res }),
      (err: unknown) => ({ error: err }),
    ),
    listening.then(
      (res) => ({ listening: res }),
      (err: unknown) => ({ error: err }),
    ),
  ]);
  const where_ = onDut(ctx.dut, where);
  if ('listening' in first && first.listening.exitCode === 0) return server;
  await server.kill();
  if ('exited' in first) {
    const output = `${first.exited.stdout}${first.exited.stderr}`;
    throw (
      toolFailure(argv[0] as string, where_, first.exited.exitCode, output) ??
      new JobError('exit_status', `${argv[0]} server exited at once on ${where_}`, output)
    );
  }
  if ('error' in first) throw first.error;
  // the listen check runs in the same context: a container that is not running fails it at once
  const notRunning = containerFailure(argv[0] as string, where_, `${first.listening.stdout}${first.listening.stderr}`);
  if (notRunning) throw notRunning;
  throw new JobError(
    'exit_status',
    `${shellCommand(argv)} did not listen on TCP port ${port} within ${LISTEN_WAIT_MS / 1000}s on ${where_}`,
  );
}
