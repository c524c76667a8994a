// SshConnection against a real SSH server (ssh2's) running every command with busybox sh on this
// host, reached through a link the test can take down, bring back and cut: kills that cannot be
// delivered are remembered and delivered as soon as the DUT answers again.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket, connect as tcpConnect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Server as SshServer, utils } from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/remote/host-key.js';
import { SshConnection, type SshTarget } from '../../src/remote/ssh-connection.js';
import { liveProcesses } from '../helpers/lab.js';

const BUSYBOX = '/bin/busybox';

/** The fake DUT: every exec is `busybox sh -c COMMAND`, as dropbear's ash would run it. */
function startSshServer(hostKey: string): Promise<{ server: SshServer; port: number }> {
  const server = new SshServer({ hostKeys: [hostKey] }, (client) => {
    client.on('error', () => {});
    client.on('authentication', (ctx) => ctx.accept());
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        acceptSession().on('exec', (accept, _reject, info) => {
          const stream = accept();
          stream.on('error', () => {});
          // like dropbear, nothing is killed when the channel or the connection goes away
          const child = spawn(BUSYBOX, ['sh', '-c', info.command], { stdio: ['ignore', 'pipe', 'pipe'] });
          const write = (to: { write(d: Buffer): unknown }) => (d: Buffer) => {
            try {
              to.write(d);
            } catch {
              // the connection is gone
            }
          };
          child.stdout.on('data', write(stream));
          child.stderr.on('data', write(stream.stderr));
          child.on('close', (code) => {
            try {
              stream.exit(code ?? 255);
              stream.end();
            } catch {
              // the connection is gone
            }
          });
        });
      });
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

/**
 * A TCP relay standing for the DUT's link: `down` holds every byte in both directions (as a
 * pulled cable does: TCP stays established, nothing arrives), `up` delivers what was held, `cut`
 * resets the connections, `refuse` turns new connections away.
 */
class Link {
  private isUp = true;
  refuse = false;
  private readonly held: { to: Socket; data: Buffer }[] = [];
  private readonly sockets = new Set<Socket>();
  server: NetServer;
  port = 0;

  constructor(private readonly target: number) {
    this.server = createServer((near) => {
      if (this.refuse) return void near.destroy();
      const far = tcpConnect(this.target, '127.0.0.1');
      for (const [from, to] of [
        [near, far],
        [far, near],
      ] as const) {
        this.sockets.add(from);
        from.on('error', () => {});
        from.on('close', () => {
          this.sockets.delete(from);
          to.destroy();
        });
        from.on('data', (data: Buffer) => {
          if (this.isUp) to.write(data);
          else this.held.push({ to, data });
        });
      }
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as { port: number }).port;
        resolve();
      }),
    );
  }

  down(): void {
    this.isUp = false;
  }

  up(): void {
    this.isUp = true;
    for (const { to, data } of this.held.splice(0)) if (!to.destroyed) to.write(data);
  }

  cut(): void {
    this.held.length = 0;
    for (const s of this.sockets) s.resetAndDestroy();
  }
}

const hostKey = utils.generateKeyPairSync('ed25519');
const clientKey = utils.generateKeyPairSync('ed25519');
let ssh: { server: SshServer; port: number };
let link: Link;
const logLines: { msg: string; level: number; [k: string]: unknown }[] = [];
const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
const connections: SshConnection[] = [];

function connection(killWaitMs = 2_000): SshConnection {
  const target: SshTarget = {
    dut: 'fake',
    host: '127.0.0.1',
    port: link.port,
    user: 'root',
    privateKey: Buffer.from(clientKey.private),
    hostKey: { accepted: [fingerprint(Buffer.from(hostKey.public.split(' ')[1] as string, 'base64'))], source: 'test' },
    connectTimeoutMs: 5_000,
  };
  const conn = new SshConnection(target, log, { killWaitMs });
  connections.push(conn);
  return conn;
}

/** Live processes running exactly `sleep SECONDS` (a number no other test uses). */
const sleeping = (seconds: number) => liveProcesses((c) => c === `sleep ${seconds}`);

async function until(what: string, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: the fake DUT runs commands with busybox sh (apt-get install busybox)`);
  ssh = await startSshServer(hostKey.private);
  link = new Link(ssh.port);
  await link.listen();
});

afterEach(() => {
  link.up();
  link.refuse = false;
  for (const c of connections.splice(0)) c.close();
  logLines.length = 0;
});

afterAll(() => {
  link.server.close();
  ssh.server.close();
  for (const p of liveProcesses((c) => /^sleep 74\d\d$/.test(c))) process.kill(p.pid, 'SIGKILL');
});

describe('SshConnection kills', () => {
  it('kills the remote process on timeout at once when the DUT answers, and remembers nothing', async () => {
    const conn = connection();
    await expect(conn.exec('sleep 7401', { timeoutMs: 1_000 })).rejects.toMatchObject({ reason: 'timeout' });
    expect(sleeping(7401)).toEqual([]);
    expect(conn.undeliveredKills).toEqual([]);
  });

  it('remembers a kill the link cannot carry and delivers it when the link is back, on the same connection', async () => {
    const conn = connection();
    const running = conn.exec('sleep 7402', { timeoutMs: 1_500 });
    await until('the remote sleep', () => sleeping(7402).length === 1);
    link.down();
    await expect(running).rejects.toMatchObject({ reason: 'timeout' });
    // the caller waited killWaitMs for the kill, then went on: the process still runs
    expect(conn.undeliveredKills).toHaveLength(1);
    expect(sleeping(7402)).toHaveLength(1);
    expect(logLines.some((l) => l.level === 40 && /could not be killed yet/.test(l.msg))).toBe(true);
    await sleep(1_000);
    expect(sleeping(7402)).toHaveLength(1);

    link.up();
    // nothing else is run: the kill sent while the link was down gets through now
    await until('the kill to be delivered', () => sleeping(7402).length === 0 && conn.undeliveredKills.length === 0);
    expect(conn.connected).toBe(true);
    const delivered = logLines.find((l) => l.msg === 'delivered kills that were waiting for the DUT');
    expect(delivered).toMatchObject({ dut: 'fake', jobIds: [expect.stringMatching(/^[0-9a-f]{16}$/)] });
    expect(delivered?.killed).toBeGreaterThanOrEqual(1);
  });

  it('remembers the kill of a cancelled command while the link is down', async () => {
    const conn = connection();
    const abort = new AbortController();
    const running = conn.exec('sleep 7403', { timeoutMs: 60_000, signal: abort.signal });
    await until('the remote sleep', () => sleeping(7403).length === 1);
    link.down();
    abort.abort();
    await expect(running).rejects.toMatchObject({ reason: 'cancelled' });
    expect(conn.undeliveredKills).toHaveLength(1);
    link.up();
    await until('the kill to be delivered', () => sleeping(7403).length === 0 && conn.undeliveredKills.length === 0);
  });

  it('kills what a command started when the connection is lost under it, first thing on the next connection', async () => {
    const conn = connection();
    const running = conn.exec('sleep 7404 & sleep 7405; echo never', { timeoutMs: 60_000 });
    await until('the remote sleeps', () => sleeping(7404).length === 1 && sleeping(7405).length === 1);
    link.cut();
    await expect(running).rejects.toMatchObject({ reason: 'connection', message: expect.stringMatching(/lost during the command/) });
    expect(conn.connected).toBe(false);
    expect(conn.undeliveredKills).toHaveLength(1);
    expect(sleeping(7404)).toHaveLength(1);

    // the next command reconnects; the remembered kill runs before it
    expect((await conn.exec('echo ok', { timeoutMs: 10_000 })).stdout).toBe('ok\n');
    expect(sleeping(7404)).toEqual([]);
    expect(sleeping(7405)).toEqual([]);
    expect(conn.undeliveredKills).toEqual([]);
    expect(logLines.find((l) => l.msg === 'delivered kills that were waiting for the DUT')?.killed).toBeGreaterThanOrEqual(3);
  });

  it('delivers remembered kills as soon as it reconnects, without waiting for a command', async () => {
    const conn = connection();
    const running = conn.exec('sleep 7406', { timeoutMs: 60_000 });
    await until('the remote sleep', () => sleeping(7406).length === 1);
    link.refuse = true;
    link.cut();
    await expect(running).rejects.toMatchObject({ reason: 'connection' });
    // the DUT is away: connecting fails, the kill stays remembered
    await expect(conn.connect()).rejects.toMatchObject({ reason: 'connection' });
    expect(conn.undeliveredKills).toHaveLength(1);
    link.refuse = false;
    await sleep(1_100); // the reconnect backoff after one failure
    await conn.connect();
    await until('the kill to be delivered', () => sleeping(7406).length === 0 && conn.undeliveredKills.length === 0);
  });

  it('delivers the kills of several commands that timed out together in one script', async () => {
    const conn = connection();
    const runs = [7407, 7408, 7409].map((s) => conn.exec(`sleep ${s}`, { timeoutMs: 60_000 }));
    await until('the remote sleeps', () => [7407, 7408, 7409].every((s) => sleeping(s).length === 1));
    link.cut();
    for (const r of runs) await expect(r).rejects.toMatchObject({ reason: 'connection' });
    expect(conn.undeliveredKills).toHaveLength(3);
    await conn.exec('true', { timeoutMs: 10_000 });
    expect([7407, 7408, 7409].flatMap(sleeping)).toEqual([]);
    const deliveries = logLines.filter((l) => l.msg === 'delivered kills that were waiting for the DUT');
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.killed).toBeGreaterThanOrEqual(3);
    expect(deliveries[0]?.jobIds).toHaveLength(3);
  });

  it('does not make a command wait long for a kill the DUT does not answer', async () => {
    const conn = connection(500);
    const running = conn.exec('sleep 7410', { timeoutMs: 1_000 });
    await until('the remote sleep', () => sleeping(7410).length === 1);
    link.down();
    await expect(running).rejects.toMatchObject({ reason: 'timeout' });
    // the next command waits killWaitMs for the pending kill, then is sent (and times out: the link is down)
    const started = Date.now();
    await expect(conn.exec('echo late', { timeoutMs: 1_000 })).rejects.toMatchObject({ reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2_500);
    link.up();
    await until('the kills to be delivered', () => sleeping(7410).length === 0 && conn.undeliveredKills.length === 0);
  });

  it('keeps undelivered kills across close() and says so', async () => {
    const conn = connection();
    const running = conn.exec('sleep 7411', { timeoutMs: 60_000 });
    await until('the remote sleep', () => sleeping(7411).length === 1);
    link.cut();
    await expect(running).rejects.toMatchObject({ reason: 'connection' });
    conn.close();
    expect(logLines.find((l) => /^closing with kills not delivered/.test(l.msg))).toMatchObject({ jobIds: conn.undeliveredKills });
    await conn.connect();
    await until('the kill to be delivered', () => sleeping(7411).length === 0 && conn.undeliveredKills.length === 0);
  });
});
