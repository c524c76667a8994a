import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { dutProcessScript, LISTENING, startDutProcess, startDutServer } from '../../src/remote/dut-process.js';
import type { DutExec } from '../../src/remote/dut-session.js';
import { lxc, native } from '../../src/remote/exec-context.js';
import { shellQuote } from '../../src/remote/shell-quote.js';
import type { ExecResult } from '../../src/remote/ssh-connection.js';
import { fakeContext, fakeDut } from '../helpers/job-context.js';

const NOT_YET = '@@edgebench not listening@@';
const IPERF3 = spawnSync('sh', ['-c', 'command -v iperf3'], { encoding: 'utf8' }).stdout.trim();

/** Every shell started, so that a failed test leaves no tool running. */
const started: Shell[] = [];
afterAll(() => {
  for (const sh of started) {
    spawnSync('pkill', ['-KILL', '-P', String(sh.child.pid)]);
    sh.child.kill('SIGKILL');
  }
});

/** The script under a real shell, talked to as the test machine does: lines on its stdin. */
class Shell {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  constructor(argv: readonly string[], script: string, env: NodeJS.ProcessEnv = process.env) {
    this.child = spawn(argv[0] as string, [...argv.slice(1), '-c', script], { env });
    this.child.stdout.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.once('close', (code, signal) => resolve(code ?? (signal ? -1 : null))));
    started.push(this);
  }
  /** Answers each "not listening" with a look more, as startDutProcess does, until it listens or ends. */
  async untilListening(): Promise<boolean> {
    let answered = 0;
    for (let i = 0; i < 500; i += 1) {
      if (this.stdout.includes(LISTENING)) return true;
      if (this.child.exitCode !== null) return false;
      const asked = this.stdout.split(NOT_YET).length - 1;
      for (; answered < asked; answered += 1) this.child.stdin.write('\n');
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no answer from the script: ${this.stdout}${this.stderr}`);
  }
  say(word: string) {
    this.child.stdin.write(`${word}\n`);
  }
  /** The pid of the tool: the shell's only child. */
  toolPid(): number {
    const kids = spawnSync('pgrep', ['-P', String(this.child.pid)], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    expect(kids).toHaveLength(1);
    return Number(kids[0]);
  }
}

const alive = (pid: number) => existsSync(`/proc/${pid}`);

/**
 * A tool that sets its own SIGINT handler (a background job starts with SIGINT ignored, and node
 * resets it to the default at its start), then creates `ready`; on SIGINT it prints and exits 130,
 * as perf stat does.
 */
const countsOnInt = (ready: string) => [
  process.execPath,
  '-e',
  `process.on('SIGINT', () => { console.log('counted'); process.exit(130); }); require('fs').writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000)`,
];

async function untilExists(path: string): Promise<void> {
  for (let i = 0; i < 1000 && !existsSync(path); i += 1) await new Promise((r) => setTimeout(r, 10));
  if (!existsSync(path)) throw new Error(`${path} never appeared`);
}

describe.each([
  ['busybox sh', ['/bin/busybox', 'sh']],
  ['dash', ['/bin/dash']],
])('dutProcessScript under %s, with a real iperf3 server', (_name, shell) => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  const listen = (host: string, port = 0) =>
    new Promise<number>((resolve, reject) => {
      const s = createServer((c) => sockets.push(c)).listen(port, host, () => resolve((s.address() as { port: number }).port));
      s.once('error', reject);
      servers.push(s);
    });
  /** A port nothing listens on now (a listener was just closed on it). */
  const freePort = async () => {
    const port = await listen('127.0.0.1');
    await new Promise((r) => servers.pop()?.close(r));
    return port;
  };
  let scratch = '';
  beforeAll(() => {
    if (!IPERF3) throw new Error('iperf3 is missing: the DUT-process script is tested with a real server (apt-get install iperf3)');
    if (!existsSync('/bin/busybox')) throw new Error('/bin/busybox is missing (apt-get install busybox)');
    scratch = mkdtempSync(join(tmpdir(), 'edgebench-dut-process-test-'));
  });
  afterAll(() => {
    for (const s of sockets) s.destroy();
    for (const s of servers) s.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it.each([
    ['IPv4', '127.0.0.1'],
    ['IPv6', '::1'],
  ])('reports when the server listens (%s), then kills it on "kill"', async (_family, host) => {
    const port = await freePort();
    const sh = new Shell(shell, dutProcessScript([IPERF3, '-s', '-p', String(port), '-B', host], port));
    expect(await sh.untilListening()).toBe(true);
    const pid = sh.toolPid();
    expect(alive(pid)).toBe(true);
    sh.say('kill');
    expect(await sh.exited).toBe(0);
    expect(alive(pid)).toBe(false);
  });

  it('finds the listener behind many established connections', async () => {
    // /proc/net/tcp lists listeners first, and the script stops reading at the first other state
    const target = await listen('127.0.0.1');
    const clients = await Promise.all(
      Array.from(
        { length: 50 },
        () =>
          new Promise<Socket>((resolve) => {
            const c = connect(target, '127.0.0.1', () => resolve(c));
          }),
      ),
    );
    sockets.push(...clients);
    const port = await freePort();
    const sh = new Shell(shell, dutProcessScript([IPERF3, '-s', '-p', String(port), '-B', '127.0.0.1'], port));
    expect(await sh.untilListening()).toBe(true);
    sh.say('kill');
    await sh.exited;
  });

  it('takes a connected socket on the port for no listener', async () => {
    // the client's side of a connection: a local port in ESTABLISHED (01), not LISTEN (0A)
    const target = await listen('127.0.0.1');
    const client = await new Promise<Socket>((resolve) => {
      const c = connect(target, '127.0.0.1', () => resolve(c));
    });
    sockets.push(client);
    const sh = new Shell(shell, dutProcessScript(['sleep', '30'], client.localPort as number));
    for (let i = 0; i < 5; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      sh.child.stdin.write('\n');
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(sh.stdout).not.toContain(LISTENING);
    expect(sh.stdout.split(NOT_YET).length - 1).toBeGreaterThanOrEqual(5);
    sh.say('kill');
    expect(await sh.exited).toBe(0);
  });

  it("exits with the server's own status and words when it ends before listening", async () => {
    // an address this host does not have (TEST-NET-1)
    const port = await freePort();
    const sh = new Shell(shell, dutProcessScript([IPERF3, '-s', '-p', String(port), '-B', '192.0.2.1'], port));
    expect(await sh.untilListening()).toBe(false);
    expect(await sh.exited).toBe(1);
    expect(sh.stdout + sh.stderr).toMatch(/unable to start listener for connections: Cannot assign requested address/);
  });

  it('kills the server when stdin ends (the channel closed), while it starts or once it listens', async () => {
    const port = await freePort();
    const starting = new Shell(shell, dutProcessScript(['sleep', '30'], port));
    await new Promise((r) => setTimeout(r, 50));
    const sleeper = starting.toolPid();
    starting.child.stdin.end();
    expect(await starting.exited).toBe(0);
    expect(alive(sleeper)).toBe(false);

    const sh = new Shell(shell, dutProcessScript([IPERF3, '-s', '-p', String(port), '-B', '127.0.0.1'], port));
    expect(await sh.untilListening()).toBe(true);
    const pid = sh.toolPid();
    sh.child.stdin.end();
    expect(await sh.exited).toBe(0);
    expect(alive(pid)).toBe(false);
  });

  it('sends SIGINT on "int" and passes the tool\'s output and status on', async () => {
    const ready = join(scratch, `ready-${shell.length}-a`);
    const sh = new Shell(shell, dutProcessScript(countsOnInt(ready)));
    await untilExists(ready);
    sh.say('int');
    expect(await sh.exited).toBe(130);
    expect(sh.stdout).toBe('counted\n');
  });

  it('runs nothing but the tool: the rest are shell builtins', async () => {
    // the only command on PATH is iperf3: a sleep, grep, cat or kill binary would not be found
    const bin = join(scratch, `only-iperf3-${shell.length}`);
    mkdirSync(bin, { recursive: true });
    symlinkSync(IPERF3, join(bin, 'iperf3'));
    const port = await freePort();
    const sh = new Shell(shell, dutProcessScript(['iperf3', '-s', '-p', String(port), '-B', '127.0.0.1'], port), { PATH: bin });
    expect(await sh.untilListening()).toBe(true);
    sh.say('kill');
    expect(await sh.exited).toBe(0);
    expect(sh.stderr).not.toMatch(/not found/);
  });

  /** The DUT's exec, here: the shell reads the command's stdin from the test, as from an ssh channel. */
  const localDut: DutExec = (command, opts) =>
    new Promise((resolve, reject) => {
      const child = spawn(shell[0] as string, [...shell.slice(1), '-c', command]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        opts.onStdout?.(d.toString('latin1'));
      });
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      opts.signal?.addEventListener('abort', () => {
        child.kill('SIGKILL');
        reject(new Error('cancelled'));
      });
      child.once('close', (code) => resolve({ stdout, stderr, exitCode: code ?? 255 }));
      opts.onOpen?.({ write: (text) => child.stdin.write(text) });
    });

  it('startDutServer returns once the real server listens, and kill() ends it by the shell', async () => {
    const port = await freePort();
    const ctx = fakeContext(localDut);
    const server = await startDutServer(ctx, native, [IPERF3, '-s', '-p', String(port), '-B', '127.0.0.1'], port, 30_000);
    const pid = Number(spawnSync('pgrep', ['-f', `^${IPERF3} -s -p ${port} `], { encoding: 'utf8' }).stdout.trim());
    expect(alive(pid)).toBe(true);
    await server.kill();
    expect(alive(pid)).toBe(false);
  });

  it('startDutProcess interrupts a process with SIGINT and returns its output', async () => {
    const ready = join(scratch, `ready-${shell.length}-b`);
    const proc = startDutProcess(fakeContext(localDut), native, countsOnInt(ready), 30_000);
    await untilExists(ready);
    expect(await proc.interrupt()).toEqual({ stdout: 'counted\n', stderr: '', exitCode: 130 });
  });

  // /proc/net is /proc/self/net: in a mount namespace of its own, the shell's is replaced by a
  // directory holding only the real tcp, as on a kernel without IPv6
  it.runIf(process.getuid?.() === 0)('says nothing and still finds the listener without /proc/net/tcp6', async () => {
    const real = join(scratch, `net-${shell.length}`);
    mkdirSync(real, { recursive: true });
    const hide = [
      `mount --bind /proc/$$/net ${shellQuote(real)}`,
      'mount -t tmpfs none /proc/$$/net',
      'touch /proc/$$/net/tcp',
      `mount --bind ${shellQuote(real)}/tcp /proc/$$/net/tcp`,
      '[ ! -e /proc/$$/net/tcp6 ]',
      'exec "$@"',
    ].join(' && ');
    const port = await freePort();
    const script = dutProcessScript([IPERF3, '-s', '-p', String(port), '-B', '127.0.0.1'], port);
    const sh = new Shell(['unshare', '-m', 'sh', '-c', hide, 'sh', ...shell], script);
    expect(await sh.untilListening()).toBe(true);
    sh.say('kill');
    expect(await sh.exited).toBe(0);
    expect(sh.stderr).not.toMatch(/tcp6/);
  });
});

describe('startDutServer', () => {
  const where = lxc('/srv/lxc', 'veth0');

  it('a server that exits at once with 127 fails the job as tool_missing, naming DUT, container and tool', async () => {
    const missing = 'lxc-attach: veth0: attach.c: lxc_attach_run_command: 1841 No such file or directory - Failed to exec "nuttcp"';
    const dut = fakeDut({ exits: () => ({ stdout: '', stderr: missing, exitCode: 127 }) });
    await expect(startDutServer(fakeContext(dut.exec), where, ['nuttcp', '-S', '--nofork'], 5000, 60_000)).rejects.toMatchObject({
      reason: 'tool_missing',
      message: expect.stringMatching(/^nuttcp not found on DUT d1 \(lxc container veth0\): .*Failed to exec "nuttcp"/),
    });
  });

  it('a server that never listens fails with exit_status and is killed', { timeout: 20_000 }, async () => {
    const dut = fakeDut({ listens: false });
    await expect(startDutServer(fakeContext(dut.exec), native, ['netserver', '-D', '-p', '12865'], 12865, 60_000)).rejects.toMatchObject({
      reason: 'exit_status',
      message: 'netserver -D -p 12865 did not listen on TCP port 12865 within 10s on DUT d1 (native)',
    });
    expect(dut.processes.map((p) => [p.killed, p.looks > 100])).toEqual([[true, true]]);
  });

  it('returns once the server listens, runs it in the container and kills it on request', async () => {
    const dut = fakeDut();
    const ctx = fakeContext(dut.exec);
    const server = await startDutServer(ctx, where, ['iperf3', '-s', '-p', '5201'], 5201, 60_000);
    expect(ctx.dutCommands).toHaveLength(1);
    expect(ctx.dutCommands[0]).toMatch(
      /^lxc-attach -P \/srv\/lxc -n veth0 -v "EDGEBENCH_JOB=\$EDGEBENCH_JOB" -- sh -c 'iperf3 -s -p 5201 <\/dev\/null &\n/,
    );
    expect(ctx.dutCommands[0]).toContain('*:1451)');
    expect(dut.processes[0]?.killed).toBe(false);
    await server.kill();
    expect(dut.processes[0]?.killed).toBe(true);
  });
});

describe('startDutProcess: when it looks for the LISTEN socket', () => {
  /** netserver 2.7.0's line once it listens (captured in the lab). */
  const STARTING = "Starting netserver with host 'IN(6)ADDR_ANY' port '12865' and family AF_UNSPEC\n";
  /** A server's shell driven by the test: what it prints, and every line the test machine sent it. */
  function drivenShell() {
    const sent: string[] = [];
    let print: (text: string) => void = () => {};
    const exec: DutExec = (_command, opts) =>
      new Promise<ExecResult>((resolve) => {
        print = (text) => opts.onStdout?.(text);
        opts.onOpen?.({
          write(text) {
            sent.push(text);
            if (text === 'kill\n') resolve({ stdout: '', stderr: '', exitCode: 0 });
          },
        });
      });
    return { exec, sent, print: (text: string) => print(text) };
  }
  const start = (exec: DutExec) => startDutProcess(fakeContext(exec), native, ['netserver', '-D', '-f', '-p', '12865'], 60_000, 12865);
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('looks again 10 ms after a look that found nothing, at once when the server prints, and never after "listening"', async () => {
    const sh = drivenShell();
    const server = start(sh.exec);
    sh.print(`${NOT_YET}\n`); // the shell's own first look
    vi.advanceTimersByTime(9);
    expect(sh.sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sh.sent).toEqual(['\n']);
    sh.print(`${NOT_YET}\n`);
    sh.print(STARTING);
    expect(sh.sent).toEqual(['\n', '\n']);
    vi.advanceTimersByTime(100); // the 10 ms look was not also sent
    expect(sh.sent).toEqual(['\n', '\n']);
    sh.print(`${LISTENING}\n`);
    await server.listening;
    vi.advanceTimersByTime(100);
    await server.kill();
    expect(sh.sent).toEqual(['\n', '\n', 'kill\n']);
  });

  it('keeps one look at a time: what the server prints during a look brings the next one forward to its answer', async () => {
    const sh = drivenShell();
    const server = start(sh.exec);
    sh.print(STARTING); // during the shell's first look
    expect(sh.sent).toEqual([]);
    sh.print(`${NOT_YET}\n`);
    expect(sh.sent).toEqual(['\n']);
    sh.print('a second line\n'); // during that look
    expect(sh.sent).toEqual(['\n']);
    sh.print(`${LISTENING}\n`);
    await server.listening;
    vi.advanceTimersByTime(100);
    expect(sh.sent).toEqual(['\n']);
    await server.kill();
  });

  it("takes a line the server began, ended by the shell's answer, for output", async () => {
    const sh = drivenShell();
    const server = start(sh.exec);
    sh.print(`Starting netserver${NOT_YET}\n`);
    expect(sh.sent).toEqual(['\n']);
    sh.print(`${LISTENING}\n`);
    await server.listening;
    await server.kill();
  });
});
