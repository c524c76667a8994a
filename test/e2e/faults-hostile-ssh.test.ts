// Issue 15, item 2, "every wait has an end": SSH peers that never let a wait finish, against one
// real `edgebench serve` that also measures a healthy lab DUT. A listener that accepts TCP and never
// sends a banner, one that sends its banner line a byte a second forever, and a proxy in front of
// the lab's real dropbear that stalls the key exchange half-way (all three in this process, on the
// lab's TM-side address) must each end at connect_timeout; a tool that leaves a child holding its
// output open must end at the benchmark's timeout; a DUT that stops answering in the middle of a
// job (its packets dropped by nftables in the lab's namespace) must be given up by the keepalives.
// Each fails its jobs with `connection` or `timeout`, lets go of what it held, and the healthy DUT's
// rounds go on meanwhile. A unit-level check first: many failed connects leave no socket or timer.
// The figures observed (time to failure of each case) are printed.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { seriesValue } from '../../harness/exposition.js';
import { labDown, labUp, requireRoot } from '../../harness/lab.js';
import { freePort } from '../../harness/ports.js';
import { JobError } from '../../src/remote/errors.js';
import { SshConnection } from '../../src/remote/ssh-connection.js';
import {
  type HostileConnection,
  type HostileListener,
  heldSockets,
  holdOpenProxy,
  kexStallProxy,
  noBannerListener,
  trickleListener,
} from '../helpers/hostile-ssh.js';
import { labName, liveProcesses, waitFor } from '../helpers/lab.js';
import { alive, dutNamespace, type LogLine, ServeProcess } from '../helpers/serve-process.js';

requireRoot('the hostile SSH test');
const name = labName('hs');
const ns = `eb-${name}`;
const healthy = `lab-${name}`;
const work = mkdtempSync(join(tmpdir(), 'edgebench-hostile-ssh-'));

/** connect_timeout of the hostile DUTs. */
const CONNECT_TIMEOUT_MS = 3_000;
/** The open-channel DUT's benchmark timeout (per repetition; one repetition). */
const JOB_TIMEOUT_MS = 5_000;
/**
 * A keepalive every 10 s, 3 unanswered at most: ssh2 gives up at the 4th tick, 40 s after the DUT's
 * last answer (the answer to a keepalive, or to a channel request, restarts the count).
 */
const KEEPALIVE_BOUND_MS = (3 + 1) * 10_000;
/** Keepalives are answered every 10 s while the link lives: the give-up comes at least 30 s after it died. */
const KEEPALIVE_MIN_MS = 3 * 10_000;
/** What a timer firing late on a busy test machine may add (the bounds themselves are the configuration's). */
const SLACK_MS = 2_000;
/** A timer never fires early; connecting to a local address before the timer's start takes far less than this. */
const EARLY_MS = 250;
/** How long close() lets the DUT answer its DISCONNECT before it lets go of the socket. */
const CLOSE_GRACE_MS = 2_000;
/** The port the lab DUT's nftables forwards to its dropbear, and whose packets it drops on demand. */
const DEAD_PORT = 2205;

type LabDut = Record<string, unknown> & { name: string; host: string; identity_file: string; host_key: { fingerprint: string } };
let lab: LabDut;
let tmAddress: string;
let noBanner: HostileListener;
let trickle: HostileListener;
let kexStall: HostileListener;
let holdOpen: HostileListener;
let serve: ServeProcess | undefined;

const nft = (rules: string) =>
  execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: rules, stdio: ['pipe', 'inherit', 'inherit'] });
const figure = (what: string, figures: Record<string, unknown>) => console.log(`[hostile-ssh] ${what}: ${JSON.stringify(figures)}`);

/** A DUT-side "tool" (the DUT shares this host's filesystem): a shell script that answers --version as sysbench does. */
function tool(file: string, body: string): string {
  const path = join(work, file);
  writeFileSync(path, `#!/bin/sh\n[ "$1" = --version ] && { echo 'sysbench 1.0.20'; exit 0; }\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}
// exits at once, but the child it leaves behind holds its stdout (sleep's argument marks it)
const holdsOutput = tool('holds-output', "sleep 3599 &\necho 'started a child that keeps this output open'");
// works quietly for an hour: no byte crosses the SSH connection meanwhile
const quiet = tool('quiet', 'exec sleep 3601');
const dutProcesses = (cmdline: string) => liveProcesses((c, p) => c === cmdline && p.netns === dutNamespace(name));

beforeAll(async () => {
  lab = (parse(readFileSync(labUp(name, '--pool', '1'), 'utf8')) as { duts: LabDut[] }).duts[0] as LabDut;
  tmAddress = lab.host.replace(/\.2$/, '.1');
  noBanner = await noBannerListener(tmAddress);
  trickle = await trickleListener(tmAddress);
  kexStall = await kexStallProxy(tmAddress, lab.host, 22);
  holdOpen = await holdOpenProxy(tmAddress, lab.host, 22);
  // a second way into the DUT's dropbear, whose packets alone can be dropped: the DUT that stops answering
  nft(`table ip hostile {
    chain forward { type nat hook prerouting priority dstnat; tcp dport ${DEAD_PORT} dnat to ${lab.host}:22; }
  }`);
});

afterAll(async () => {
  await serve?.stop(join(work, 'serve.log'));
  await Promise.all([noBanner, trickle, kexStall, holdOpen].map((l) => l?.close()));
  labDown(name);
});

const silent = pino({ level: 'silent' });

/** An SshTarget with the lab's key, through a listener. */
const targetVia = (l: HostileListener, connectTimeoutMs: number, accepted = [lab.host_key.fingerprint]) => ({
  dut: 'unit',
  host: l.host,
  port: l.port,
  user: 'root',
  privateKey: readFileSync(lab.identity_file),
  hostKey: { accepted, source: 'host_key.fingerprint' },
  connectTimeoutMs,
});

/** The failure of one connect: reason, message and how long it took; throws if it is still waiting after `giveUpMs`. */
async function failedConnect(conn: SshConnection, giveUpMs: number): Promise<{ reason: string; message: string; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const givenUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`connect still waiting after ${giveUpMs} ms: this wait has no end`)), giveUpMs);
  });
  try {
    await Promise.race([conn.connect(), givenUp]);
  } catch (err) {
    const ms = performance.now() - started;
    if (!(err instanceof JobError)) throw err;
    return { reason: err.reason, message: err.message, ms };
  } finally {
    clearTimeout(timer);
  }
  throw new Error('connected to a hostile listener');
}

const activeResources = () => {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
};

/** How long the client held each connection, for those it let go. */
const heldMs = (connections: readonly HostileConnection[]) =>
  connections.flatMap((c) => (c.releasedAt === undefined ? [] : [c.releasedAt - c.acceptedAt]));

describe(`hostile SSH peers, lab ${name}`, () => {
  it('many failed connects (no banner, a trickled banner, a stalled key exchange) each end at connect_timeout and hold nothing afterwards', async () => {
    const N = 10;
    const timeoutMs = 500;
    const listeners = [noBanner, trickle, kexStall];
    const fds = () => readdirSync('/proc/self/fd').length;
    const baseline = { fds: fds(), resources: activeResources() };
    const failures: { reason: string; message: string; ms: number }[] = [];
    for (let i = 0; i < N; i++) {
      // a fresh connection each time: one connection would wait out its backoff between attempts
      failures.push(
        ...(await Promise.all(
          listeners.map((l) => failedConnect(new SshConnection(targetVia(l, timeoutMs), silent), timeoutMs + SLACK_MS * 2)),
        )),
      );
    }
    expect(failures).toHaveLength(3 * N);
    for (const f of failures) {
      expect(f).toMatchObject({ reason: 'connection', message: expect.stringMatching(/Timed out while waiting for handshake$/) });
      expect(f.ms).toBeGreaterThanOrEqual(timeoutMs - 1);
      expect(f.ms).toBeLessThan(timeoutMs + SLACK_MS);
    }
    // the stall was where it was meant to be: after both KEXINITs, on the client's key-exchange init
    expect(kexStall.connections.map((c) => c.stalledOn)).toEqual(kexStall.connections.map(() => 30));
    expect(noBanner.connections.every((c) => c.sent === 0)).toBe(true);

    // every connection let go by the client, which holds no socket to any of them
    await waitFor('the client to let go of every connection', 5_000, async () => (listeners.every((l) => l.open === 0) ? true : undefined));
    for (const l of listeners) {
      expect(l.connections).toHaveLength(N);
      for (const ms of heldMs(l.connections)) expect(ms).toBeLessThan(timeoutMs + SLACK_MS);
      expect(heldSockets('self', l.port)).toEqual([]);
    }
    // nor file descriptors, sockets or timers of any other kind, once the listeners' own sides are gone
    for (const l of listeners) l.hangUp();
    const kinds = ['TCPSocketWrap', 'ConnectWrap', 'Timeout'];
    const settled = () => fds() <= baseline.fds && kinds.every((k) => (activeResources()[k] ?? 0) <= (baseline.resources[k] ?? 0));
    // (a destroyed socket's handle closes on a later turn of the event loop)
    await waitFor('the listeners to close their sides', 5_000, async () => (settled() ? true : undefined)).catch(() => {});
    expect(fds()).toBeLessThanOrEqual(baseline.fds);
    const after = activeResources();
    for (const kind of kinds) expect(after[kind] ?? 0, kind).toBeLessThanOrEqual(baseline.resources[kind] ?? 0);
    figure('unit', {
      attempts: failures.length,
      connectTimeoutMs: timeoutMs,
      failedAfterMs: { min: Math.round(Math.min(...failures.map((f) => f.ms))), max: Math.round(Math.max(...failures.map((f) => f.ms))) },
      fds: { before: baseline.fds, after: fds() },
    });
  }, 60_000);
});

describe(`a peer that never closes its side, lab ${name}`, () => {
  it('a refused host key, and a connection closed at the end of a round, let go of their socket all the same', async () => {
    // refused before authentication: ssh2 sends its DISCONNECT and half-closes, the peer never answers
    const refused = await failedConnect(
      new SshConnection(targetVia(holdOpen, CONNECT_TIMEOUT_MS, ['SHA256:not-the-lab-key']), silent),
      CONNECT_TIMEOUT_MS + SLACK_MS,
    );
    expect(refused).toMatchObject({ reason: 'connection', message: expect.stringMatching(/^host key mismatch for /) });
    const refusedAt = Date.now();
    await waitFor('the refused connection let go', SLACK_MS * 2, async () =>
      heldSockets('self', holdOpen.port).length === 0 ? true : undefined,
    );
    const refusedHeldMs = Date.now() - refusedAt;
    expect(refusedHeldMs).toBeLessThanOrEqual(SLACK_MS);

    // established, then closed as a round's end closes it: DISCONNECT and FIN, which the peer ignores
    const conn = new SshConnection(targetVia(holdOpen, CONNECT_TIMEOUT_MS), silent);
    await conn.connect();
    expect(heldSockets('self', holdOpen.port)).toHaveLength(1);
    conn.close();
    const closedAt = Date.now();
    await waitFor('the closed connection let go', CLOSE_GRACE_MS + SLACK_MS * 2, async () =>
      heldSockets('self', holdOpen.port).length === 0 ? true : undefined,
    );
    const closedHeldMs = Date.now() - closedAt;
    expect(closedHeldMs).toBeLessThanOrEqual(CLOSE_GRACE_MS + SLACK_MS);
    figure('peer never closes', { refusedHeldMs, closedHeldMs, closeGraceMs: CLOSE_GRACE_MS });
  }, 30_000);
});

describe(`hostile SSH peers and a healthy DUT in one edgebench serve, lab ${name}`, () => {
  it('each hostile DUT fails its jobs within its bound and lets go; the healthy DUT measures on', async () => {
    const port = await freePort();
    const peer = {
      user: 'root',
      identity_file: lab.identity_file,
      host_key: lab.host_key,
      connect_timeout: `${CONNECT_TIMEOUT_MS / 1000}s`,
    };
    const small = { sysbench: { modes: ['native'], instances: [1], events: 500, timeout: '30s' } };
    const listenerDut = (dut: string, l: HostileListener) => ({ ...peer, name: dut, host: l.host, port: l.port, benchmarks: small });
    const file = join(work, 'edgebench.yml');
    writeFileSync(
      file,
      stringify({
        listen: `127.0.0.1:${port}`,
        schedule: { interval: '8s' },
        repetitions: 1,
        duts: [
          { ...lab, benchmarks: small },
          listenerDut('no-banner', noBanner),
          listenerDut('kex-stall', kexStall),
          listenerDut('trickle', trickle),
          // two instances: edgebench reads each instance's output to its end, which the child never lets come
          {
            ...peer,
            name: 'open-channel',
            host: lab.host,
            benchmarks: { sysbench: { modes: ['native'], instances: [2], timeout: `${JOB_TIMEOUT_MS / 1000}s`, path: holdsOutput } },
          },
          // its job outlasts the keepalives by far: only they can end it in time
          {
            ...peer,
            name: 'dead-link',
            host: lab.host,
            port: DEAD_PORT,
            benchmarks: { sysbench: { modes: ['native'], instances: [1], timeout: '2m', path: quiet } },
          },
        ],
      }),
    );
    // the serve's attempts only, not the unit test's before
    const before = new Map([noBanner, trickle, kexStall].map((l) => [l, l.connections.length]));
    const attempts = (l: HostileListener) => l.connections.slice(before.get(l));
    serve = await ServeProcess.ready(file, port);
    const s = serve;
    const first = (dut: string, msg: string, from = 0) =>
      s.waitLog(`${msg} on ${dut}`, 60_000, (l) => l.dut === dut && l.msg === msg, from);

    // the first jobs under way: the quiet tool, and the two children left holding the open channel
    await waitFor('the quiet tool and the left-behind children on the DUT', 30_000, async () =>
      dutProcesses('sleep 3601').length > 0 && dutProcesses('sleep 3599').length === 2 ? true : undefined,
    );
    const quietPids = dutProcesses('sleep 3601').map((p) => p.pid);
    const childPids = dutProcesses('sleep 3599').map((p) => p.pid);

    // 5. the DUT stops answering in the middle of a job: every packet of its connection dropped
    nft(`table ip hostile {
      chain in { type filter hook input priority filter; meta l4proto tcp ct original proto-dst ${DEAD_PORT} drop; }
      chain out { type filter hook output priority filter; meta l4proto tcp ct original proto-dst ${DEAD_PORT} drop; }
    }`);
    const droppedAt = Date.now();
    const deadFailed = await s.waitLog(
      'the dead link given up',
      KEEPALIVE_BOUND_MS + 20_000,
      (l) => l.dut === 'dead-link' && l.msg === 'job failed',
    );
    expect(deadFailed).toMatchObject({ reason: 'connection', err: expect.stringMatching(/lost during the command$/) });
    const deadMs = deadFailed.time - droppedAt;
    expect(deadMs).toBeGreaterThanOrEqual(KEEPALIVE_MIN_MS - EARLY_MS);
    expect(deadMs).toBeLessThanOrEqual(KEEPALIVE_BOUND_MS + SLACK_MS);
    expect(s.lines.find((l) => l.dut === 'dead-link' && l.msg === 'connection lost')).toBeDefined();
    // the dead connection's socket is gone (a reconnect may be trying meanwhile: SYN_SENT)
    expect(heldSockets(s.pid, DEAD_PORT).filter((h) => h.state === '01')).toEqual([]);

    // 1-3. the handshakes that never end: each attempt given up at connect_timeout, its socket let go
    const handshakes: Record<string, HostileListener> = { 'no-banner': noBanner, 'kex-stall': kexStall, trickle };
    const handshakeFigures: Record<string, unknown> = {};
    for (const [dut, listener] of Object.entries(handshakes)) {
      const skipped = await first(dut, 'round skipped: DUT unreachable');
      expect(skipped).toMatchObject({ reason: 'connection', err: expect.stringMatching(/Timed out while waiting for handshake$/) });
      const attempt = attempts(listener)[0] as HostileConnection;
      const failedMs = skipped.time - attempt.acceptedAt;
      expect(failedMs).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - EARLY_MS);
      expect(failedMs).toBeLessThanOrEqual(CONNECT_TIMEOUT_MS + SLACK_MS);
      // every attempt over the rounds (each round tries again once its backoff allows) let go in time
      const over = attempts(listener).filter((c) => c.acceptedAt < Date.now() - CONNECT_TIMEOUT_MS - SLACK_MS);
      expect(over.length).toBeGreaterThanOrEqual(2);
      for (const c of over) {
        expect(c.releasedAt, dut).toBeDefined();
        expect((c.releasedAt as number) - c.acceptedAt).toBeLessThanOrEqual(CONNECT_TIMEOUT_MS + SLACK_MS);
      }
      expect(heldSockets(s.pid, listener.port).length).toBeLessThanOrEqual(listener.open);
      expect(listener.open).toBeLessThanOrEqual(1);
      handshakeFigures[dut] = {
        boundMs: CONNECT_TIMEOUT_MS,
        attempts: attempts(listener).length,
        failedAfterMs: failedMs,
        heldMs: heldMs(attempts(listener)),
      };
    }
    expect(attempts(kexStall).every((c) => c.stalledOn === 30)).toBe(true);
    expect(attempts(trickle)[0]?.sent).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS / 1000 - 1);

    // 4. the channel a left-behind child holds open: the job's timeout ends it, and the child is killed
    const held = await first('open-channel', 'job failed');
    expect(held).toMatchObject({ reason: 'timeout', err: `timed out after ${JOB_TIMEOUT_MS / 1000}s` });
    const connected = s.lines.filter((l) => l.dut === 'open-channel' && l.msg === 'connected' && l.time <= held.time).at(-1) as LogLine;
    // from the connection, not the job's start (not logged): the commands before the job take milliseconds
    const heldMsFromConnect = held.time - connected.time;
    expect(heldMsFromConnect).toBeGreaterThanOrEqual(JOB_TIMEOUT_MS);
    expect(heldMsFromConnect).toBeLessThanOrEqual(JOB_TIMEOUT_MS + SLACK_MS);
    expect(s.lines.find((l) => l.dut === 'open-channel' && /could not be killed yet/.test(l.msg))).toBeUndefined();
    // the first job's children were killed with it; none piles up from round to round (a job's two at most)
    expect(childPids.filter(alive)).toEqual([]);
    expect(dutProcesses('sleep 3599').length).toBeLessThanOrEqual(2);

    // what /metrics says of each
    const m = await s.metrics();
    for (const dut of ['no-banner', 'kex-stall', 'trickle', 'dead-link']) {
      expect(
        seriesValue(m, 'edgebench_benchmark_failures_total', { dut, benchmark: 'sysbench', reason: 'connection' }),
        dut,
      ).toBeGreaterThan(0);
      expect(seriesValue(m, 'edgebench_dut_up', { dut }), dut).toBe(0);
    }
    expect(
      seriesValue(m, 'edgebench_benchmark_failures_total', { dut: 'open-channel', benchmark: 'sysbench', reason: 'timeout' }),
    ).toBeGreaterThan(0);
    expect(seriesValue(m, 'edgebench_dut_up', { dut: 'open-channel' })).toBe(1);

    // the healthy DUT: rounds complete, without a failure, while the dead link was being given up too
    expect(seriesValue(m, 'edgebench_round_last_completion_timestamp_seconds', { dut: healthy })).toBeGreaterThan(0);
    expect(seriesValue(m, 'edgebench_sysbench_cpu_duration_seconds', { dut: healthy, mode: 'native', instances: '1' })).toBeGreaterThan(0);
    expect(seriesValue(m, 'edgebench_benchmark_success', { dut: healthy, benchmark: 'sysbench', mode: 'native' })).toBe(1);
    expect(seriesValue(m, 'edgebench_dut_up', { dut: healthy })).toBe(1);
    const healthyRounds = s.lines.filter((l) => l.dut === healthy && l.msg === 'round complete');
    expect(healthyRounds.map((r) => r.failed)).toEqual(healthyRounds.map(() => 0));
    expect(healthyRounds.filter((r) => r.time > droppedAt && r.time < deadFailed.time).length).toBeGreaterThanOrEqual(1);
    expect(s.lines.filter((l) => l.msg === 'round aborted')).toEqual([]);

    // the link back: the kill that waited for the DUT is delivered first thing, the quiet tool of the
    // job given up is gone (the next round starts its own)
    nft('delete chain ip hostile in\ndelete chain ip hostile out');
    const backAt = Date.now();
    const delivered = await s.waitLog(
      'the kill that waited for the DUT',
      60_000,
      (l) => l.dut === 'dead-link' && l.msg === 'delivered kills that were waiting for the DUT',
    );
    expect(quietPids.filter(alive)).toEqual([]);
    figure('serve', {
      ...handshakeFigures,
      openChannel: { boundMs: JOB_TIMEOUT_MS, failedAfterConnectMs: heldMsFromConnect },
      deadLink: { boundMs: KEEPALIVE_BOUND_MS, failedAfterDropMs: deadMs, killDeliveredAfterLinkBackMs: delivered.time - backAt },
      healthyRounds: healthyRounds.length,
    });
  }, 150_000);
});
