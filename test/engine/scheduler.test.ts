import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { ResultsStore } from '../../src/engine/results.js';
import { Scheduler } from '../../src/engine/scheduler.js';

const dir = mkdtempSync(join(tmpdir(), 'edgebench-scheduler-'));
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);

/** A DUT nobody listens for (port 1 on loopback, unless given): every round fails, and is counted. */
function config(interval: string, port = 1, connectTimeout = '10s') {
  return parseConfig(
    stringify({
      schedule: { interval },
      repetitions: 1,
      duts: [
        {
          name: 'nobody',
          host: '127.0.0.1',
          port,
          connect_timeout: connectTimeout,
          identity_file: join(dir, 'key'),
          host_key: { fingerprint: 'SHA256:E+nYlqxqWbNK1J2HJKOEGWBXxDKgQdX+J68iK94DoKk' },
          benchmarks: { sysbench: { modes: ['native'], instances: [1] } },
        },
      ],
    }),
    'inline',
  );
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
