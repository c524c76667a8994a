import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenWaitScript, startDutServer } from '../../src/remote/dut-process.js';
import { lxc, native } from '../../src/remote/exec-context.js';
import { shellQuote } from '../../src/remote/shell-quote.js';
import { fakeContext } from '../helpers/job-context.js';

describe.each([
  ['busybox sh', ['/bin/busybox', 'sh']],
  ['dash', ['/bin/dash']],
])('listenWaitScript under %s, against real sockets', (_name, [shell, ...shellArgs]) => {
  /** Runs the script as the DUT would, in this network namespace; `wrap` runs the shell through another command. */
  const run = (script: string, { env = process.env, wrap = [] as string[] } = {}) => {
    const argv = [...wrap, shell as string, ...shellArgs, '-c', script];
    const started = Date.now();
    const res = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', env, timeout: 15_000 });
    return { status: res.status, stderr: res.stderr, ms: Date.now() - started };
  };
  const servers: Server[] = [];
  const listen = (host: string) =>
    new Promise<number>((resolve) => {
      const s = createServer().listen(0, host, () => resolve((s.address() as { port: number }).port));
      servers.push(s);
    });
  let v4 = 0;
  let v6 = 0;
  let closed = 0;
  let scratch = '';
  beforeAll(async () => {
    v4 = await listen('127.0.0.1');
    v6 = await listen('::1');
    closed = v4 === 65535 ? v4 - 1 : v4 + 1;
    scratch = mkdtempSync(join(tmpdir(), 'edgebench-listen-test-'));
  });
  afterAll(() => {
    for (const s of servers) s.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('exits 0 for a port something listens on, IPv4 and IPv6', () => {
    expect(run(listenWaitScript(v4))).toMatchObject({ status: 0, stderr: '' });
    expect(run(listenWaitScript(v6))).toMatchObject({ status: 0, stderr: '' });
  });

  it('exits 1 once the wait is over when nothing listens', () => {
    const res = run(listenWaitScript(closed, 300));
    expect(res).toMatchObject({ status: 1, stderr: '' });
    expect(res.ms).toBeGreaterThanOrEqual(300); // 30 polls, 10 ms apart
    expect(res.ms).toBeLessThan(8_000); // not the default 10 s; a busy machine sleeps longer
  });

  it('takes a connected socket on the port for no listener', async () => {
    // the client's side of a connection to v4: a local port of ESTABLISHED (01), not LISTEN (0A)
    const client = connect(v4, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    try {
      expect(run(listenWaitScript(client.localPort as number, 100)).status).toBe(1);
    } finally {
      client.destroy();
    }
  });

  it('runs no command but sleep: the rest are shell builtins', () => {
    const bin = join(scratch, 'only-sleep');
    mkdirSync(bin, { recursive: true });
    const sleep = spawnSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(sleep, join(bin, 'sleep'));
    // a grep, cat or awk would not be found
    expect(run(listenWaitScript(v4), { env: { PATH: bin } })).toMatchObject({ status: 0, stderr: '' });
    expect(run(listenWaitScript(closed, 100), { env: { PATH: bin } })).toMatchObject({ status: 1, stderr: '' });
  });

  // /proc/net is /proc/self/net: in a mount namespace of its own, the shell's is replaced by a
  // directory holding only the real tcp, as on a kernel without IPv6
  it.runIf(process.getuid?.() === 0)('says nothing and still finds the listener without /proc/net/tcp6', () => {
    const real = join(scratch, 'net');
    mkdirSync(real, { recursive: true });
    const hide = [
      `mount --bind /proc/$$/net ${shellQuote(real)}`,
      'mount -t tmpfs none /proc/$$/net',
      'touch /proc/$$/net/tcp',
      `mount --bind ${shellQuote(real)}/tcp /proc/$$/net/tcp`,
      '[ ! -e /proc/$$/net/tcp6 ]',
      'exec "$@"',
    ].join(' && ');
    const wrap = ['unshare', '-m', 'sh', '-c', hide, 'sh'];
    expect(run(listenWaitScript(v4), { wrap })).toMatchObject({ status: 0, stderr: '' });
    expect(run(listenWaitScript(v6, 100), { wrap })).toMatchObject({ status: 1, stderr: '' });
  });
});

describe('startDutServer', () => {
  const where = lxc('/srv/lxc', 'veth0');

  it('a server that exits at once with 127 fails the job as tool_missing, naming DUT, container and tool', async () => {
    const ctx = fakeContext(async (cmd) =>
      cmd.includes('/proc/net/tcp')
        ? new Promise(() => {})
        : {
            stdout: '',
            stderr: 'lxc-attach: veth0: attach.c: lxc_attach_run_command: 1841 No such file or directory - Failed to exec "nuttcp"',
            exitCode: 127,
          },
    );
    await expect(startDutServer(ctx, where, ['nuttcp', '-S', '--nofork'], 5000, 60_000)).rejects.toMatchObject({
      reason: 'tool_missing',
      message: expect.stringMatching(/^nuttcp not found on DUT d1 \(lxc container veth0\): .*Failed to exec "nuttcp"/),
    });
  });

  it('a server that never listens fails with exit_status and is killed', async () => {
    const abortedServer: boolean[] = [];
    const ctx = fakeContext(async (cmd, o) => {
      if (cmd.includes('/proc/net/tcp')) return { stdout: '', stderr: '', exitCode: 1 };
      return new Promise((_, reject) => {
        o.signal?.addEventListener('abort', () => {
          abortedServer.push(true);
          reject(new Error('cancelled'));
        });
      });
    });
    await expect(startDutServer(ctx, native, ['netserver', '-D', '-p', '12865'], 12865, 60_000)).rejects.toMatchObject({
      reason: 'exit_status',
      message: 'netserver -D -p 12865 did not listen on TCP port 12865 within 10s on DUT d1 (native)',
    });
    expect(abortedServer).toEqual([true]);
  });

  it('returns once the server listens, runs it in the container and kills it on request', async () => {
    let killed = false;
    const ctx = fakeContext(async (cmd, o) => {
      if (cmd.includes('/proc/net/tcp')) return { stdout: '', stderr: '', exitCode: 0 };
      return new Promise((_, reject) => {
        o.signal?.addEventListener('abort', () => {
          killed = true;
          reject(new Error('cancelled'));
        });
      });
    });
    const server = await startDutServer(ctx, where, ['iperf3', '-s', '-p', '5201'], 5201, 60_000);
    expect(ctx.dutCommands[0]).toMatch(
      /^lxc-attach -P \/srv\/lxc -n veth0 -v "EDGEBENCH_JOB=\$EDGEBENCH_JOB" -- iperf3 -s -p 5201; rc=\$\?; /,
    );
    expect(ctx.dutCommands[1]).toContain('*:1451:0A)');
    expect(killed).toBe(false);
    await server.kill();
    expect(killed).toBe(true);
  });
});
