import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePerfStat } from '../../src/benchmarks/perf.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/perf/${name}`, import.meta.url), 'utf8');

const notSupported = { supported: false, counted: false };
const notCounted = { supported: true, counted: false };
const counted = (count: number, unit?: string) => ({ supported: true, counted: true, count, ...(unit && { unit }) });

describe('parsePerfStat on captured outputs', () => {
  it.each(['perf-6.1-stat-csv-hw-not-supported.txt', 'perf-6.1-stat-hw-not-supported.txt'])(
    'reads the hardware events this VM does not support as a normal answer (%s)',
    (name) => {
      expect(parsePerfStat(fixture(name))).toEqual({
        events: { 'branch-misses': notSupported, 'L1-dcache-load-misses': notSupported },
      });
    },
  );

  it('reads counted software events in CSV, msec as seconds', () => {
    expect(parsePerfStat(fixture('perf-6.1-stat-csv-sw.txt'))).toEqual({
      events: {
        'task-clock': counted(2.00446, 'seconds'),
        'context-switches': counted(1087),
        'cpu-migrations': counted(56),
        'page-faults': counted(18428),
        'branch-misses': notSupported,
      },
    });
  });

  it('reads counted software events in the table format', () => {
    expect(parsePerfStat(fixture('perf-6.1-stat-sw.txt'))).toEqual({
      events: {
        'task-clock': counted(2.00716, 'seconds'),
        'context-switches': counted(928),
        'cpu-migrations': counted(30),
        'page-faults': counted(9022),
        'branch-misses': notSupported,
      },
    });
  });

  it.each(['perf-6.1-stat-csv-not-counted.txt', 'perf-6.1-stat-not-counted.txt'])(
    'reads <not counted> (empty cgroup, with its extra cgroup column) without a count (%s)',
    (name) => {
      expect(parsePerfStat(fixture(name))).toEqual({ events: { 'task-clock': notCounted, 'context-switches': notCounted } });
    },
  );

  it('reads the counts perf prints when stopped by SIGINT (CSV and table)', () => {
    expect(parsePerfStat(fixture('perf-6.1-stat-csv-sigint.txt'))).toEqual({
      events: { 'task-clock': counted(3.98161, 'seconds'), 'context-switches': counted(541), 'branch-misses': notSupported },
    });
    expect(parsePerfStat(fixture('perf-6.1-stat-sigint.txt'))).toEqual({
      events: { 'task-clock': counted(3.98811, 'seconds'), 'context-switches': counted(153), 'branch-misses': notSupported },
    });
  });

  it('reads perf run in an LXC container', () => {
    expect(parsePerfStat(fixture('perf-6.1-stat-csv-lxc.txt'))).toEqual({
      events: { 'task-clock': counted(2.01274, 'seconds'), 'context-switches': counted(997), 'branch-misses': notSupported },
    });
  });
});

describe('parsePerfStat rejects', () => {
  it.each(['perf-6.1-stat-csv-unknown-event.txt', 'perf-6.1-stat-unknown-event.txt'])('an unknown event, quoting perf (%s)', (name) => {
    expect(() => parsePerfStat(fixture(name))).toThrow("perf stat failed: event syntax error: '..sses,nosuch-event'");
  });

  it('a permission error, quoting its first line', () => {
    expect(() => parsePerfStat(fixture('perf-6.1-stat-csv-permission.txt'))).toThrow(
      'perf stat failed: Error: Access to performance monitoring and observability operations is limited.',
    );
  });

  it('an unknown option, quoting perf', () => {
    expect(() => parsePerfStat(fixture('perf-6.1-stat-bad-option.txt'))).toThrow("perf stat failed: Error: unknown option `nosuch'");
  });

  it('truncated output in both formats', () => {
    expect(() => parsePerfStat(fixture('perf-6.1-stat-csv-truncated.txt'))).toThrow(
      'perf stat output is incomplete (truncated?): "499,,con"',
    );
    expect(() => parsePerfStat(fixture('perf-6.1-stat-truncated.txt'))).toThrow(
      'perf stat output is incomplete (truncated?): no "seconds time elapsed" line',
    );
  });

  it('a missing perf and other tools output, quoting them', () => {
    expect(() => parsePerfStat(fixture('busybox-sh-perf-missing.txt'))).toThrow(
      'not perf stat output: no counter line (output: "ash: perf: not found")',
    );
    const stream = readFileSync(new URL('../fixtures/stream/lmbench-3.0-a9-stream-native.txt', import.meta.url), 'utf8');
    expect(() => parsePerfStat(stream)).toThrow('not perf stat output: no counter line (output: "STREAM copy latency: 0.81 nanoseconds")');
    expect(() => parsePerfStat('')).toThrow('not perf stat output: no counter line');
  });

  it('an event printed twice (two runs in one text)', () => {
    const twice = fixture('perf-6.1-stat-csv-sw.txt') + fixture('perf-6.1-stat-csv-hw-not-supported.txt');
    expect(() => parsePerfStat(twice)).toThrow('perf stat printed "branch-misses" twice');
  });
});
