import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config-file/load.js';
import { ResultsStore } from '../../src/engine/results.js';
import { Scheduler } from '../../src/engine/scheduler.js';

const dir = mkdtempSync(join(tmpdir(), 'edgebench-scheduler-'));
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);

/** A DUT nobody listens for (port 1 on loopback, unless given): every round fails, and is counted. */
const nobody = (name: string, port = 1, connectTimeout = '10s') => ({
  name,
  host: '127.0.0.1',
  port,
  connect_timeout: connectTimeout,
  identity_file: join(dir, 'key'),
  host_key: { fingerprint: 'SHA256:E+nYlqxqWbNK1J2HJKOEGWBXxDKgQdX+J68iK94DoKk' },
  benchmarks: { sysbench: { modes: ['native'], instances: [1] } },
});

function config(interval: string, port = 1, connectTimeout = '10s', duts = [nobody('nobody', port, connectTimeout)]) {
  return parseConfig(stringify({ schedule: { interval }, repetitions: 1, duts }), join(dir, 'inline.yml'));
}

async function roundsIn(interval: string, ms: number, port?: number, connectTimeout?: string): Promise<number> {
  const store = new ResultsStore();
  const scheduler = new Scheduler(config(interval, port, connectTimeout), store, pino({ level: 'silent' }));
  scheduler.start();
  await new Promise((r) => setTimeout(r, ms));
  await scheduler.stop();
  return store.dut('nobody').runsTotal.get('sysbench') ?? 0;
}

describe('Scheduler with an interval', () => {
  it('starts a round at start and then one per interval', async () => {
    const rounds = await roundsIn('300ms', 1_400);
    // at 0, 300, 600, 900, 1200 ms
    expect(rounds).toBeGreaterThanOrEqual(4);
    expect(rounds).toBeLessThanOrEqual(6);
  });

  it('keeps going when a round takes longer than the interval: the next starts at once', async () => {
    // a TCP server that never says a word: the first round waits out the 1.5 s connect timeout
    const silent = createServer(() => {});
    const port = await new Promise<number>((resolve) =>
      silent.listen(0, '127.0.0.1', () => resolve((silent.address() as AddressInfo).port)),
    );
    try {
      // 0 s: the round that overruns the 1 s interval; then at once, and on (connects fail fast during backoff)
      expect(await roundsIn('1s', 3_200, port, '1500ms')).toBeGreaterThanOrEqual(3);
    } finally {
      silent.close();
    }
  });

  it('runs nothing after stop', async () => {
    const store = new ResultsStore();
    const scheduler = new Scheduler(config('100ms'), store, pino({ level: 'silent' }));
    scheduler.start();
    await new Promise((r) => setTimeout(r, 250));
    await scheduler.stop();
    const after = store.dut('nobody').runsTotal.get('sysbench');
    await new Promise((r) => setTimeout(r, 300));
    expect(store.dut('nobody').runsTotal.get('sysbench')).toBe(after);
  });
});

describe('Scheduler.reload', () => {
  const rounds = (store: ResultsStore, dut: string) => store.duts.get(dut)?.runsTotal.get('sysbench') ?? 0;

  it('forgets a removed DUT, starts an added one, restarts a changed one with its results, leaves the rest running', async () => {
    const store = new ResultsStore();
    const scheduler = new Scheduler(config('200ms', 1, '10s', [nobody('a'), nobody('b'), nobody('c')]), store, pino({ level: 'silent' }));
    scheduler.start();
    await new Promise((r) => setTimeout(r, 500));
    const before = { b: rounds(store, 'b'), c: rounds(store, 'c') };
    const summary = await scheduler.reload(
      config('200ms', 1, '10s', [nobody('b'), { ...nobody('c'), connect_timeout: '5s' }, nobody('d')]),
    );
    expect(summary).toEqual({ added: ['d'], removed: ['a'], restarted: ['c'] });
    expect([...store.duts.keys()].sort()).toEqual(['b', 'c', 'd']);
    expect(rounds(store, 'c')).toBeGreaterThanOrEqual(before.c); // kept, not reset
    await new Promise((r) => setTimeout(r, 500));
    expect(rounds(store, 'b')).toBeGreaterThan(before.b);
    expect(rounds(store, 'd')).toBeGreaterThan(0);
    expect(scheduler.has('a')).toBe(false);
    await scheduler.stop();
  });

  it('restarts every DUT when the schedule changes', async () => {
    const store = new ResultsStore();
    const scheduler = new Scheduler(config('1h', 1, '10s', [nobody('a'), nobody('b')]), store, pino({ level: 'silent' }));
    scheduler.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(await scheduler.reload(config('30m', 1, '10s', [nobody('a'), nobody('b')]))).toEqual({
      added: [],
      removed: [],
      restarted: ['a', 'b'],
    });
    expect(await scheduler.reload(config('30m', 1, '10s', [nobody('a'), nobody('b')]))).toEqual({ added: [], removed: [], restarted: [] });
    await scheduler.stop();
  });
});
