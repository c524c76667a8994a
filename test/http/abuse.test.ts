// The HTTP server under abuse, over plain HTTP and TLS, on 127.0.0.1: clients that send their
// headers a byte at a time, say nothing, idle after an answer, trickle a body, send 1 MB of headers
// or garbage, stop reading a big answer, and a thousand idle connections at once. In each case a
// normal scrape gets the whole /metrics while the abuse goes on, and the server closes the abusive
// connection within its bound, and not before the bound where the bound is a grace period. Bounds
// are small ones passed to startHttpServer, except where production's are quick enough to wait for.
// The RSS cases run the server (from dist/, built by the global setup) in a child started with
// --expose-gc, so that its memory is weighed after a collection and without the clients'.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect as tlsConnect } from 'node:tls';
import { gunzipSync, gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { repoRoot } from '../../harness/repo.js';
import { createApp } from '../../src/http/app.js';
import { DEFAULT_LIMITS, type HttpLimits } from '../../src/http/http-server.js';
import { loadWebConfig } from '../../src/http/web-config.js';
import { type Running, serve, serveLimited, stop } from './client.js';
import { makePki, type Pki } from './pki.js';

/** Timers run off the event loop's cached clock: one may fire this much early by performance.now(). */
const EARLY_MS = 20;
/** How late past its bound a close may come on a loaded machine before the test calls it missing. */
const GRACE_MS = 2_000;
const MB = 1e6;

/**
 * /metrics of 400,000 lines (15 MB) in 4,000 chunks, as MetricsBody hands it out: more than loopback's
 * socket buffers take (about 4 MB here), so that a client that stops reading stalls the server's writes.
 */
const LINES = 400_000;
const CHUNKS: Buffer[] = [];
for (let i = 0; i < LINES; i += 100) {
  let text = '';
  for (let j = i; j < i + 100; j++) text += `edgebench_abuse_filler{i="${j}"} ${j}\n`;
  CHUNKS.push(Buffer.from(text));
}
const PLAIN = Buffer.concat(CHUNKS);
const GZIPPED = gzipSync(PLAIN);

const app = () =>
  createApp({
    metrics: { contentType: 'text/plain; version=0.0.4; charset=utf-8', get: async ({ gzipped }) => (gzipped ? [GZIPPED] : CHUNKS) },
    isReady: () => true,
    log: pino({ level: 'silent' }),
  });

const HEAD = 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n';
const HUGE_HEAD = Buffer.from(`${HEAD}X-Huge: ${'a'.repeat(1 << 20)}\r\n\r\n`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, done: () => boolean, withinMs: number): Promise<void> {
  const end = performance.now() + withinMs;
  while (!done()) {
    if (performance.now() > end) throw new Error(`${what}: not within ${withinMs} ms`);
    await sleep(5);
  }
}

let dir: string;
let pki: Pki;
let tlsWebFile: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-abuse-'));
  pki = makePki(dir);
  tlsWebFile = join(dir, 'web.yml');
  writeFileSync(tlsWebFile, stringify({ tls_server_config: { cert_file: pki.serverCert, key_file: pki.serverKey } }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The server's side of an accepted TCP connection. */
interface Accepted {
  at: number;
  closedAt: number | undefined;
}

interface Target {
  tls: boolean;
  port: number;
  ca: Buffer | undefined;
  limits: HttpLimits;
  running: Running;
  /** Every accepted connection, by the client's port. */
  accepted: Map<number, Accepted>;
}

async function target(kind: 'HTTP' | 'HTTPS', limits: Partial<HttpLimits>): Promise<Target> {
  const tls = kind === 'HTTPS';
  const running = await serveLimited(tls ? loadWebConfig(tlsWebFile) : undefined, app(), limits);
  const accepted = new Map<number, Accepted>();
  running.server.on('connection', (socket: Socket) => {
    const a: Accepted = { at: performance.now(), closedAt: undefined };
    accepted.set(socket.remotePort as number, a);
    socket.once('close', () => {
      a.closedAt = performance.now();
    });
  });
  const port = Number(new URL(running.url('/')).port);
  return { tls, port, ca: tls ? readFileSync(pki.ca) : undefined, limits: { ...DEFAULT_LIMITS, ...limits }, running, accepted };
}

/** A normal scrape on a fresh connection, gzipped as Prometheus asks or not: status and the plain body. */
function scrape(t: Pick<Target, 'tls' | 'port' | 'ca'>, gzip = true): Promise<{ status: number; body: Buffer }> {
  const send = t.tls ? httpsRequest : httpRequest;
  const url = `${t.tls ? 'https' : 'http'}://127.0.0.1:${t.port}/metrics`;
  return new Promise((resolve, reject) => {
    const answer = (res: IncomingMessage) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const body = Buffer.concat(parts);
        resolve({ status: res.statusCode ?? 0, body: res.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body });
      });
      res.on('error', reject);
    };
    send(url, { agent: false, ca: t.ca, headers: gzip ? { 'Accept-Encoding': 'gzip' } : {} }, answer)
      .on('error', reject)
      .end();
  });
}

async function expectScrape(t: Target): Promise<void> {
  const r = await scrape(t);
  expect({ status: r.status, bytes: r.body.length, same: r.body.equals(PLAIN) }).toEqual({ status: 200, bytes: PLAIN.length, same: true });
}

interface Client {
  socket: Socket;
  /** Its local port: the key of its server side in Target.accepted. */
  port: number;
  received(): string;
  /** When the client's side closed, which only the server makes happen: no test closes a client before its end. */
  gone: Promise<void>;
}

interface ConnectOptions {
  /** false: a bare TCP connection to a TLS server, that never says hello. */
  handshake?: boolean;
  /** false: never reads after connecting. */
  read?: boolean;
}

/** A connection that does what the test writes to it. */
async function connect(t: Pick<Target, 'tls' | 'port' | 'ca'>, o: ConnectOptions = {}): Promise<Client> {
  const tls = t.tls && o.handshake !== false;
  const socket = tls ? tlsConnect({ host: '127.0.0.1', port: t.port, ca: t.ca }) : netConnect(t.port, '127.0.0.1');
  socket.on('error', () => {}); // the server resets some of them: what counts is that it closed them
  const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const chunks: Buffer[] = [];
  await once(socket, tls ? 'secureConnect' : 'connect');
  if (o.read === false) socket.pause();
  else socket.on('data', (d: Buffer) => chunks.push(d));
  return { socket, port: socket.localPort as number, received: () => Buffer.concat(chunks).toString('latin1'), gone };
}

/** The server's side of a client's connection, once it has accepted it. */
async function accepted(t: Target, c: Client): Promise<Accepted> {
  await until('the server accepting the connection', () => t.accepted.has(c.port), GRACE_MS);
  return t.accepted.get(c.port) as Accepted;
}

/**
 * The server closed the connection no sooner than `bound` ms after `from`, and no later than `late` ms
 * past that (plus GRACE_MS for a loaded machine).
 */
async function expectClosedAfter(t: Target, c: Client, from: number, bound: number, late: number): Promise<void> {
  const server = await accepted(t, c);
  await until(
    `the server closing the connection ${bound} ms after it started`,
    () => server.closedAt !== undefined,
    bound + late + GRACE_MS,
  );
  expect((server.closedAt as number) - from).toBeGreaterThanOrEqual(bound - EARLY_MS);
}

async function closedByServer(t: Target, c: Client): Promise<void> {
  const server = await accepted(t, c);
  await until('the server closing the connection', () => server.closedAt !== undefined, GRACE_MS);
  await Promise.race([c.gone, sleep(GRACE_MS)]); // the client has read what was sent before the close
}

/** Node raises its soft limit on descriptors to the hard one: a thousand connections need that much room. */
function requireDescriptors(n: number): void {
  const limit = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
  if (limit !== undefined && limit !== 'unlimited' && Number(limit) < n)
    throw new Error(`this test opens about ${n} descriptors but may open ${limit}: raise the hard limit (ulimit -Hn)`);
}

const isOpen = async (t: Target, c: Client) => (await accepted(t, c)).closedAt === undefined;

/** Writes `text` a byte at a time, one every 20 ms, until stopped or closed. */
function drip(c: Client, text: string): () => void {
  let i = 0;
  const timer = setInterval(() => {
    if (!c.socket.destroyed) c.socket.write(text.charAt(i++ % text.length));
  }, 20);
  return () => clearInterval(timer);
}

describe.each(['HTTP', 'HTTPS'] as const)('%s under abuse', (kind) => {
  /**
   * A server whose only small bounds are `limits` (and the check interval), the others production's and
   * far longer: each case sees its own bound close the connection, not another one.
   */
  async function abuse(limits: Partial<HttpLimits>, test: (t: Target, open: (o?: ConnectOptions) => Promise<Client>) => Promise<void>) {
    const t = await target(kind, { checkIntervalMs: 100, ...limits });
    const clients: Client[] = [];
    try {
      await test(t, async (o) => {
        const c = await connect(t, o);
        clients.push(c);
        return c;
      });
    } finally {
      for (const c of clients) c.socket.destroy();
      await stop(t.running);
    }
  }

  it('headers sent a byte at a time: 408 and closed headersTimeoutMs after the connection, not before', () =>
    abuse({ headersTimeoutMs: 1_000 }, async (t, open) => {
      const c = await open();
      const stopDrip = drip(c, `${HEAD}X-Slow: ${'a'.repeat(4096)}`);
      try {
        await expectScrape(t);
        expect(await isOpen(t, c)).toBe(true); // still at it while the scrape was answered
        await expectClosedAfter(t, c, (await accepted(t, c)).at, t.limits.headersTimeoutMs, t.limits.checkIntervalMs);
        await c.gone;
        expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
      } finally {
        stopDrip();
      }
    }));

  it('a connection that sends nothing is closed headersTimeoutMs after it opened (after its handshake over TLS)', () =>
    abuse({ headersTimeoutMs: 1_000 }, async (t, open) => {
      const c = await open();
      await expectScrape(t);
      expect(await isOpen(t, c)).toBe(true);
      await expectClosedAfter(t, c, (await accepted(t, c)).at, t.limits.headersTimeoutMs, t.limits.checkIntervalMs);
    }));

  if (kind === 'HTTPS')
    it('a TCP connection that never starts its TLS handshake is closed tlsHandshakeTimeoutMs after it opened', () =>
      abuse({ tlsHandshakeTimeoutMs: 1_000 }, async (t, open) => {
        const c = await open({ handshake: false });
        await expectScrape(t);
        expect(await isOpen(t, c)).toBe(true);
        await expectClosedAfter(t, c, (await accepted(t, c)).at, t.limits.tlsHandshakeTimeoutMs, 0);
      }));

  it('a connection kept alive after its answer is closed keepAliveTimeoutMs after it (Node adds a second), not before', () =>
    abuse({ keepAliveTimeoutMs: 500 }, async (t, open) => {
      const c = await open();
      c.socket.write('GET /-/healthy HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await until('the answer', () => c.received().includes('Healthy'), GRACE_MS);
      const answered = performance.now();
      await expectScrape(t);
      expect(await isOpen(t, c)).toBe(true);
      await expectClosedAfter(t, c, answered, t.limits.keepAliveTimeoutMs, 1_000);
    }));

  it('a request body that trickles: 408 and closed requestTimeoutMs after the request began, not before', () =>
    // headersTimeoutMs may not exceed requestTimeoutMs; the headers here are whole at once
    abuse({ headersTimeoutMs: 1_000, requestTimeoutMs: 1_500 }, async (t, open) => {
      const c = await open();
      c.socket.write('POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n');
      const stopDrip = drip(c, 'x');
      try {
        await expectScrape(t);
        expect(await isOpen(t, c)).toBe(true);
        await expectClosedAfter(t, c, (await accepted(t, c)).at, t.limits.requestTimeoutMs, t.limits.checkIntervalMs);
        await c.gone;
        expect(c.received()).toMatch(/^HTTP\/1\.1 404 [\s\S]*HTTP\/1\.1 408 /); // express answered; the body never ended
      } finally {
        stopDrip();
      }
    }));

  it('1 MB of headers: 431 and closed at once', () =>
    abuse({}, async (t, open) => {
      const c = await open();
      c.socket.write(HUGE_HEAD);
      await Promise.all([expectScrape(t), closedByServer(t, c)]);
      expect(c.received()).toMatch(/^HTTP\/1\.1 431 /);
    }));

  it('garbage pipelined after two requests: 400 and closed at once', () =>
    abuse({}, async (t, open) => {
      const c = await open();
      c.socket.write(`${HEAD}\r\nGET /-/healthy HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n\x00\x01\x02 not HTTP \xff\r\n\r\n`);
      await Promise.all([expectScrape(t), closedByServer(t, c)]);
      expect(c.received()).toMatch(/^HTTP\/1\.1 400 /);
      expect(c.received()).not.toMatch(/ 200 OK/);
    }));

  it('garbage alone: 400 and closed at once', () =>
    abuse({}, async (t, open) => {
      const c = await open();
      c.socket.write('\x16\x03\x01 SSH-2.0-hello\r\n\r\n'.repeat(100));
      await Promise.all([expectScrape(t), closedByServer(t, c)]);
      expect(c.received()).toMatch(/^HTTP\/1\.1 400 /);
    }));

  it('a client that stops reading a 15 MB answer is dropped idleTimeoutMs after the last byte moved, not before', () =>
    abuse({ idleTimeoutMs: 1_000 }, async (t, open) => {
      const c = await open({ read: false });
      c.socket.write(`${HEAD}\r\n`);
      const asked = performance.now();
      await expectScrape(t);
      expect(await isOpen(t, c)).toBe(true);
      // Node looks again once when the socket's queue moved since the last write: up to twice the bound
      await expectClosedAfter(t, c, asked, t.limits.idleTimeoutMs, t.limits.idleTimeoutMs);
    }));

  it('a client still reading after responseTimeoutMs is dropped then, not before, however long idleTimeoutMs is', () =>
    abuse({ responseTimeoutMs: 1_500 }, async (t, open) => {
      const c = await open({ read: false });
      c.socket.write(`${HEAD}\r\n`);
      const asked = performance.now();
      await expectScrape(t);
      expect(await isOpen(t, c)).toBe(true);
      await expectClosedAfter(t, c, asked, t.limits.responseTimeoutMs, t.limits.checkIntervalMs);
    }));

  it(
    '1,000 idle connections, half kept alive after an answer, half silent: scrapes answered, at most maxConnections held, the oldest closed',
    () =>
      abuse({}, async (t, open) => {
        requireDescriptors(2_048); // the clients' and the server's ends
        const keptAlive = async () => {
          const c = await open();
          c.socket.write('GET /-/healthy HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
          await until('the answer', () => c.received().includes('Healthy'), GRACE_MS);
          return c;
        };
        const silent = () => open({ handshake: false });
        const flood: Client[] = [];
        for (const idle of [keptAlive, silent])
          for (let i = 0; i < 500; i += 50) flood.push(...(await Promise.all(Array.from({ length: 50 }, idle))));
        for (let i = 0; i < 3; i++) await expectScrape(t);

        const cap = t.limits.maxConnections;
        const held = await new Promise<number>((resolve, reject) =>
          t.running.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
        );
        expect(held).toBeLessThanOrEqual(cap);
        const sides = await Promise.all(flood.map((c) => accepted(t, c)));
        const closed = () => sides.filter((s) => s.closedAt !== undefined).length;
        await until('the server closing all but the newest', () => closed() >= flood.length - cap, GRACE_MS);
        const closedInAcceptOrder = sides.sort((a, b) => a.at - b.at).map((s) => s.closedAt !== undefined);
        expect(closedInAcceptOrder.lastIndexOf(true)).toBeLessThan(closedInAcceptOrder.indexOf(false)); // oldest first
      }),
    30_000,
  );
});

describe('production limits', () => {
  it('are what the server runs with', async () => {
    const s = await serve(undefined);
    try {
      const { headersTimeout, requestTimeout, keepAliveTimeout, timeout } = s.server;
      expect({ headersTimeout, requestTimeout, keepAliveTimeout, timeout }).toEqual({
        headersTimeout: DEFAULT_LIMITS.headersTimeoutMs,
        requestTimeout: DEFAULT_LIMITS.requestTimeoutMs,
        keepAliveTimeout: DEFAULT_LIMITS.keepAliveTimeoutMs,
        timeout: DEFAULT_LIMITS.idleTimeoutMs,
      });
    } finally {
      await stop(s);
    }
  });
});

/** The server of `edgebench serve`, production's limits, in a child process answering 15 MB of /metrics; on each line in, its RSS after a collection. */
const CHILD = `
import { createHash } from 'node:crypto';
import { createApp } from '${repoRoot}dist/http/app.js';
import { startHttpServer } from '${repoRoot}dist/http/http-server.js';
import { loadWebConfig } from '${repoRoot}dist/http/web-config.js';
const { web, lines } = JSON.parse(process.argv[1]);
const chunks = [];
for (let i = 0; i < lines; i += 100) {
  let text = '';
  for (let j = i; j < i + 100; j++) text += 'edgebench_abuse_filler{i="' + j + '"} ' + j + '\\n';
  chunks.push(Buffer.from(text));
}
const silent = { error() {}, debug() {} };
const metrics = { contentType: 'text/plain; version=0.0.4; charset=utf-8', get: async () => chunks };
const app = createApp({ metrics, isReady: () => true, log: silent });
const server = await startHttpServer(app, { host: '127.0.0.1', port: 0 }, web ? loadWebConfig(web) : undefined);
const rss = () => {
  for (let i = 0; i < 3; i++) globalThis.gc();
  return process.memoryUsage().rss;
};
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
say({ port: server.address().port, sha256: createHash('sha256').update(Buffer.concat(chunks)).digest('hex') });
process.stdin.setEncoding('utf8');
process.stdin.on('data', () => server.getConnections((err, connections) => say({ rss: rss(), connections })));
process.stdin.on('end', () => process.exit(0));
`;

interface ChildServer {
  port: number;
  sha256: string;
  /** RSS after a collection, and the connections open. */
  measure(): Promise<{ rss: number; connections: number }>;
  /** RSS once a scrape has been answered, after a collection: what the abuse is weighed against. */
  settled(): Promise<number>;
  end(): void;
}

async function childServer(web: string | undefined): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD, JSON.stringify({ web, lines: LINES })], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.(line));
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the server's child process exited (${code})`);
  });
  exited.catch(() => {});
  const next = () => Promise.race([new Promise<string>((resolve) => waiting.push(resolve)), exited]).then((l) => JSON.parse(l));
  const { port, sha256 } = await next();
  const measure = () => {
    child.stdin.write('\n');
    return next();
  };
  return {
    port,
    sha256,
    measure,
    settled: async () => {
      await scrape({ tls: web !== undefined, port, ca: web === undefined ? undefined : readFileSync(pki.ca) }, false);
      await sleep(200); // V8 gives pages back after a collection, not during it
      return (await measure()).rss;
    },
    end: () => child.stdin.end(),
  };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('RSS under abuse (server in a child process, after a collection)', () => {
  it('1,000 idle connections, then 100 heads of 1 MB each: under 50 MB more, scrapes answered', async () => {
    requireDescriptors(2_048);
    const server = await childServer(undefined);
    const t = { tls: false, port: server.port, ca: undefined };
    const before = await server.settled();
    const flood: Client[] = [];
    try {
      for (let i = 0; i < 1_000; i += 100) flood.push(...(await Promise.all(Array.from({ length: 100 }, () => connect(t)))));
      expect(sha256((await scrape(t, false)).body)).toBe(server.sha256);
      const idle = await server.measure();
      expect(idle.connections).toBeLessThanOrEqual(DEFAULT_LIMITS.maxConnections);

      const heads = await Promise.all(Array.from({ length: 100 }, () => connect(t)));
      flood.push(...heads);
      // written whole to a server that reads it all, or cut short by its 431 and close
      await Promise.all(heads.map((c) => new Promise((resolve) => c.socket.write(HUGE_HEAD, resolve))));
      expect(sha256((await scrape(t, false)).body)).toBe(server.sha256);
      const headers = await server.measure();

      const growth = Math.max(idle.rss, headers.rss) - before;
      expect(growth / MB, `RSS ${before / MB} MB, then ${idle.rss / MB} and ${headers.rss / MB}`).toBeLessThan(50);
    } finally {
      for (const c of flood) c.socket.destroy();
      server.end();
    }
  }, 30_000);

  it('20 TLS clients that stop reading a 15 MB answer: under 50 MB more (not a copy of the body each)', async () => {
    const server = await childServer(tlsWebFile);
    const t = { tls: true, port: server.port, ca: readFileSync(pki.ca) };
    const before = await server.settled();
    const stalled: Client[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const c = await connect(t, { read: false });
        stalled.push(c);
        c.socket.write(`${HEAD}\r\n`);
      }
      expect(sha256((await scrape(t, false)).body)).toBe(server.sha256);
      await sleep(500); // for the writes to stall, whatever they hold
      const after = await server.measure();
      expect(after.connections).toBeGreaterThanOrEqual(20); // all still held: what they cost is in the figure
      expect((after.rss - before) / MB, `RSS ${before / MB} MB, then ${after.rss / MB}`).toBeLessThan(50);
    } finally {
      for (const c of stalled) c.socket.destroy();
      server.end();
    }
  }, 30_000);
});
