// Long-running processes on the DUT for the length of a client run: network servers (nuttcp,
// netserver, iperf3) and perf stat. Each runs in the background of a shell of its own channel,
// and the test machine talks to that shell over the channel's stdin. While a server starts, each
// line sent is one look for its LISTEN socket, so the DUT needs no `sleep` between looks: the next
// look 10 ms after the last, or at once when the server prints (netserver and iperf3 print a line
// once they listen), one look at a time. Then one word stops the process: `int` (SIGINT: perf
// prints its counts) or `kill` (SIGKILL). The shell knows the tool's pid, so the DUT runs nothing
// but the shell and the tool, and no marker scan. A channel that closes early (connection lost)
// ends stdin, and the shell kills the tool then too. Timeouts and cancels, and a shell that does
// not end, still go through the kill by marker.
import type { DutSession } from './dut-session.js';
import { JobError } from './errors.js';
import { checkedCommandIn, type ExecContext, onDut } from './exec-context.js';
import { shellCommand } from './shell-quote.js';
import type { ExecResult, ExecStdin } from './ssh-connection.js';
import { toolFailure } from './tool-failure.js';

const LISTEN_WAIT_MS = 10_000;
/** Between two looks for the LISTEN socket: a server listens within a few ms of its start. */
const LOOK_INTERVAL_MS = 10;
/** How long the shell may take to end the tool after the word, before the kill by marker. */
const STOP_WAIT_MS = 5_000;

/** What the shell prints once the server listens, and after each look that found nothing. */
export const LISTENING = '@@edgebench listening@@';
const NOT_YET = '@@edgebench not listening@@';
const OWN_LINES = /@@edgebench (?:not )?listening@@\n/g;
/** Of a line still unended, the characters kept: more than the shell's own words. */
const PARTIAL_KEPT = 256;

export interface DutProcess {
  /** Sends SIGINT (perf prints its counts on it) and returns the output. */
  interrupt(): Promise<ExecResult>;
  /** Kills the process. Never throws. */
  kill(): Promise<void>;
}

/**
 * The busybox-sh/dash script that runs argv in the background and stops it on the test machine's
 * word; with a port, it first reports when something listens on it in this network namespace.
 * Builtins only: the DUT runs this shell and the tool, nothing else.
 */
export function dutProcessScript(argv: readonly string[], listenPort?: number): string {
  return [
    `${shellCommand(argv)} </dev/null &`,
    'pid=$!',
    // one word, or the end of stdin: the channel closed
    ...(listenPort === undefined ? ['read -r word'] : listenWait(listenPort)),
    // a killed server's status is no failure: in a container, lxc-info would run to explain it
    'case $word in int) kill -INT "$pid" 2>/dev/null; wait "$pid" ;; *) kill -KILL "$pid" 2>/dev/null; wait "$pid"; exit 0 ;; esac',
  ].join('\n');
}

function listenWait(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return [
    'listening() {',
    // no tcp6 without IPv6
    '  for f in /proc/net/tcp /proc/net/tcp6; do',
    '    [ -r "$f" ] || continue',
    // listening sockets are listed first: the rest of the table is not read (each byte `read`
    // takes is a system call, about 8 us on /proc/net/tcp)
    `    { read -r _; while read -r _ a _ st _; do case $st in 0A) case $a in *:${hex}) return 0 ;; esac ;; *) break ;; esac; done; } <"$f"`,
    '  done',
    '  return 1',
    '}',
    // ended: a zombie (it is not waited for yet), or gone
    `ended() { s=; read -r s <"/proc/$pid/stat" 2>/dev/null || return 0; case \${s##*") "} in Z* | X*) return 0 ;; esac; return 1; }`,
    'up=',
    'while :; do',
    `  if listening; then up=1; echo "${LISTENING}"; break; fi`,
    '  if ended; then wait "$pid"; exit; fi',
    `  echo "${NOT_YET}"`,
    // an empty line asks for another look; a word, or the end of stdin, stops the process now
    '  read -r word || break',
    '  [ -z "$word" ] || break',
    'done',
    '[ -z "$up" ] || read -r word',
  ];
}

/** The process's own output: without the lines the shell printed for the test machine. */
export function toolOutput(res: ExecResult): string {
  return `${res.stdout.replace(OWN_LINES, '')}${res.stderr}`;
}

/**
 * Starts argv in `where`, in the background of a shell of its own channel. `listening` resolves
 * once something listens on `listenPort`; it never resolves without a port, or after the process
 * ended. `exited` settles when the shell ends: at once for a process that cannot start, else
 * after interrupt() or kill().
 */
export function startDutProcess(
  ctx: DutSession,
  where: ExecContext,
  argv: readonly string[],
  timeoutMs: number,
  listenPort?: number,
): DutProcess & { exited: Promise<ExecResult>; listening: Promise<void> } {
  const abort = new AbortController();
  const stopWithParent = () => abort.abort();
  ctx.signal.addEventListener('abort', stopWithParent, { once: true });
  const script = dutProcessScript(argv, listenPort);
  // a native shell is the exec's own; in a container, lxc-attach passes the channel's stdin on
  const command = where.kind === 'native' ? script : checkedCommandIn(where, ['sh', '-c', script]);

  let stdin: ExecStdin | undefined;
  const unsent: string[] = [];
  const send = (line: string) => (stdin ? stdin.write(line) : unsent.push(line));
  let word: string | undefined;
  let onListening = () => {};
  const listening = new Promise<void>((resolve) => (onListening = resolve));
  let partial = ''; // stdout after its last newline, until the server listens
  let listened = false;
  // One look at a time: the shell answers each with one line, and an empty line still unread
  // when it answers "listening" would be taken for the word that stops the server.
  let looking = true; // the shell's first look is its own
  let printed = false; // the server printed during the current look
  let nextLook: NodeJS.Timeout | undefined;
  const look = () => {
    clearTimeout(nextLook);
    if (word !== undefined) return;
    looking = true;
    printed = false;
    send('\n');
  };
  const serverPrinted = () => {
    if (looking) printed = true;
    else look();
  };
  const exited = ctx.exec(command, {
    timeoutMs,
    signal: abort.signal,
    onOpen: (s) => {
      stdin = s;
      for (const line of unsent.splice(0)) s.write(line);
    },
    onStdout:
      listenPort === undefined
        ? undefined
        : (chunk) => {
            if (listened) return;
            const lines = (partial + chunk).split('\n');
            // only a line's end is read (the shell's words end it): a server's endless line is not kept
            partial = (lines.pop() ?? '').slice(-PARTIAL_KEPT);
            // the shell's lines end the line the tool may have started
            for (const line of lines) {
              if (line.endsWith(LISTENING)) {
                listened = true;
                onListening();
                return;
              }
              if (!line.endsWith(NOT_YET)) {
                if (line !== '') serverPrinted();
                continue;
              }
              // a look that found nothing: another at once if the server printed meanwhile, else a little later
              looking = false;
              if (printed || line !== NOT_YET) look();
              else nextLook = setTimeout(look, LOOK_INTERVAL_MS);
            }
          },
  });
  exited
    .catch(() => {})
    .finally(() => {
      clearTimeout(nextLook);
      ctx.signal.removeEventListener('abort', stopWithParent);
    });
  const say = (w: string) => {
    if (word !== undefined) return;
    word = w;
    send(`${w}\n`);
  };
  return {
    exited,
    listening,
    interrupt() {
      say('int');
      return exited;
    },
    async kill() {
      say('kill');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), STOP_WAIT_MS);
      });
      const ended = await Promise.race([
        exited.then(
          () => 'ended',
          () => 'ended',
        ),
        late,
      ]);
      clearTimeout(timer);
      // the shell did not end the tool: the kill by marker does
      if (ended === 'late') abort.abort();
      await exited.catch(() => {});
    },
  };
}

/**
 * Starts a server in `where` and resolves once it listens on TCP `port`. A server that exits
 * first (tool missing, port taken, container not running) fails the job with its own output; one
 * that never listens too.
 */
export async function startDutServer(
  ctx: DutSession,
  where: ExecContext,
  argv: readonly string[],
  port: number,
  timeoutMs: number,
): Promise<DutProcess> {
  const server = startDutProcess(ctx, where, argv, timeoutMs, port);
  let timer: NodeJS.Timeout | undefined;
  const first = await Promise.race([
    server.listening.then(() => ({ listening: true as const })),
    server.exited.then(
      (res) => ({ exited: res }),
      (err: unknown) => ({ error: err }),
    ),
    new Promise<{ late: true }>((resolve) => {
      timer = setTimeout(() => resolve({ late: true }), LISTEN_WAIT_MS);
    }),
  ]);
  clearTimeout(timer);
  if ('listening' in first) return server;
  await server.kill();
  const tool = argv[0] as string;
  const where_ = onDut(ctx.dut, where);
  if ('exited' in first) {
    const output = toolOutput(first.exited);
    throw (
      toolFailure(tool, where_, first.exited.exitCode, output) ??
      new JobError('exit_status', `${tool} server exited at once on ${where_}`, output)
    );
  }
  if ('error' in first) throw first.error;
  throw new JobError(
    'exit_status',
    `${shellCommand(argv)} did not listen on TCP port ${port} within ${LISTEN_WAIT_MS / 1000}s on ${where_}`,
  );
}
