// edgebench_round_interval_seconds: the interval, or the span of cron ticks around a moment (local
// time, as node-schedule runs the ticks; dates in January, away from daylight saving changes).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseConfig } from '../../src/config-file/load.js';
import { configSchema } from '../../src/config-file/schema.js';
import { DutLoop } from '../../src/engine/dut-loop.js';
import { DutResults } from '../../src/engine/results.js';
import { roundIntervalSeconds } from '../../src/engine/round-interval.js';
import { TrafficLinks } from '../../src/engine/traffic-links.js';

const root = join(import.meta.dirname, '../..');
const schedule = (s: unknown) => configSchema.shape.schedule.parse(s);
const at = (day: number, hour: number, minute = 0, second = 0, ms = 0) => new Date(2026, 0, day, hour, minute, second, ms);

describe('roundIntervalSeconds', () => {
  it('is the interval', () => {
    expect(roundIntervalSeconds(schedule({ interval: '15m' }), at(2, 10))).toBe(900);
    expect(roundIntervalSeconds(schedule({ interval: '1h30m' }), at(2, 10))).toBe(5400);
  });

  it('is 2h for edgebench.example.yml, with its interval and with the cron its comment offers', () => {
    const example = readFileSync(join(root, 'edgebench.example.yml'), 'utf8');
    expect(roundIntervalSeconds(schedule(parse(example).schedule), at(2, 10))).toBe(7200);
    const cron = /# or: cron: "([^"]+)"/.exec(example)?.[1];
    expect(cron).toBe('0 */2 * * *');
    expect(roundIntervalSeconds(schedule({ cron }), at(2, 10, 7))).toBe(7200);
  });

  it('is the cron period, between ticks and on a tick alike', () => {
    const every15m = schedule({ cron: '*/15 * * * *' });
    expect(roundIntervalSeconds(every15m, at(2, 10, 7, 33, 250))).toBe(900);
    expect(roundIntervalSeconds(every15m, at(2, 10, 15))).toBe(900);
    expect(roundIntervalSeconds(every15m, at(2, 10, 14, 59, 999))).toBe(900);
    expect(roundIntervalSeconds(schedule({ cron: '*/20 * * * * *' }), at(2, 10, 0, 5, 500))).toBe(20);
    expect(roundIntervalSeconds(schedule({ cron: '0 3 * * *' }), at(2, 2, 59))).toBe(86_400);
  });

  it('is the gap the DUT is in for uneven ticks: the weekend after Friday 17:00, an hour on Monday', () => {
    const officeHours = schedule({ cron: '0 9-17 * * 1-5' });
    // 2 January 2026 is a Friday
    expect(roundIntervalSeconds(officeHours, at(2, 17, 10))).toBe(64 * 3600);
    expect(roundIntervalSeconds(officeHours, at(5, 9, 10))).toBe(3600);
  });
});

describe('DutLoop', () => {
  it('exports the interval from its start, before any round ends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgebench-interval-'));
    const key = join(dir, 'key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const config = parseConfig(
      stringify({
        schedule: { cron: '0 3 * * *' },
        duts: [
          {
            name: 'r1',
            host: '127.0.0.1',
            port: 1, // nobody listens: the first round ends at once
            identity_file: key,
            host_key: { insecure_skip_verify: true },
            benchmarks: { sysbench: { modes: ['native'], instances: [1] } },
          },
        ],
      }),
      join(dir, 'inline.yml'),
    );
    const state = new DutResults();
    const loop = new DutLoop(config.duts[0] as (typeof config.duts)[number], config, {
      state,
      links: new TrafficLinks(),
      log: pino({ level: 'silent' }),
      journal: undefined,
    });
    expect(state.roundIntervalSeconds).toBeUndefined();
    loop.start();
    expect(state.roundIntervalSeconds).toBe(86_400);
    await loop.stop();
    rmSync(dir, { recursive: true, force: true });
  });
});
