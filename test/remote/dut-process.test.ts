import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenWaitScript, startDutServer } from '../../src/remote/dut-process.js';
import { lxc, native } from '../../src/remote/exec-context.js';
import { fakeContext } from '../helpers/job-context.js';

/** Runs the script under busybox sh, as the DUT would, in this network namespace. */
const busybox = (script: string) => spawnSync('busybox', ['sh', '-c', script], { encoding: 'utf8', timeout: 10_000 });

describe('listenWaitScript under busybox sh, against real sockets', () => {
  const servers: Server[] = [];
  const listen = (host: string) =>
    new Promise<number>((resolve) => {
      const s = createServer().listen(0, host, () => resolve((s.address() as { port: number }).port));
      servers.push(s);
    });
  let v4 = 0;
  let v6 = 0;
  beforeAll(async () => {
    v4 = await listen('127.0.0.1');
    v6 = await listen('::1');
  });
  afterAll(() => {
    for (const s of servers) s.close();
  });

  it('exits 0 for a port something listens on, IPv4 and IPv6', () => {
    expect(busybox(listenWaitScript(v4)).status).toBe(0);
    expect(busybox(listenWaitScript(v6)).status).toBe(0);
  });

  it('exits 1 once the wait is over when nothing listens', () => {
    const closed = v4 === 65535 ? v4 - 1 : v4 + 1;
    expect(busybox(listenWaitScript(closed, 300)).status).toBe(1);
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
    expect(ctx.dutCommands[1]).toContain(':1451 [0-9A-F]+:0000 0A ');
    expect(killed).toBe(false);
    await server.kill();
    expect(killed).toBe(true);
  });
});
