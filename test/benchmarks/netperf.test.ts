import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNetperf } from '../../src/benchmarks/netperf.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/netperf/${name}`, import.meta.url), 'utf8');

const sizes = { requestSize: 100, responseSize: 200, elapsedSeconds: 3 };

describe('parseNetperf on captured outputs', () => {
  it.each([
    ['netperf-2.7.0-tcp-rr-native.txt', 'TCP_RR', 31517.2],
    ['netperf-2.7.0-udp-rr-native.txt', 'UDP_RR', 29329.09],
    ['netperf-2.7.0-tcp-rr-veth.txt', 'TCP_RR', 34519.32],
    ['netperf-2.7.0-udp-rr-veth.txt', 'UDP_RR', 53041.81],
  ])('reads the table with its banner: %s', (name, test, tps) => {
    expect(parseNetperf(fixture(name))).toEqual({ test, transactionsPerSecond: tps, rttSeconds: 1 / tps, ...sizes });
  });

  it.each([
    ['netperf-2.7.0-tcp-rr-native-p0.txt', 26964.79],
    ['netperf-2.7.0-udp-rr-native-p0.txt', 35122.02],
  ])('reads the table without banner (-P 0), which does not name the test: %s', (name, tps) => {
    expect(parseNetperf(fixture(name))).toEqual({ test: undefined, transactionsPerSecond: tps, rttSeconds: 1 / tps, ...sizes });
  });

  it.each([
    ['netperf-2.7.0-tcp-rr-native-keyval.txt', 'TCP_RR', 25761.51],
    ['netperf-2.7.0-udp-rr-native-keyval.txt', 'UDP_RR', 20533.024],
    ['netperf-2.7.0-tcp-rr-veth-keyval.txt', 'TCP_RR', 49010.607],
    ['netperf-2.7.0-udp-rr-veth-keyval.txt', 'UDP_RR', 52345.487],
  ])('reads omni -k key=value, preferring TRANSACTION_RATE (3 decimals) to THROUGHPUT: %s', (name, test, tps) => {
    expect(parseNetperf(fixture(name))).toEqual({ test, transactionsPerSecond: tps, rttSeconds: 1 / tps, ...sizes });
  });

  it('gives the round-trip time in seconds: 1 / transaction rate', () => {
    expect(parseNetperf(fixture('netperf-2.7.0-tcp-rr-native.txt')).rttSeconds).toBeCloseTo(31.728707e-6, 12);
  });

  it.each(['netperf-2.7.0-udp-rr-refused.txt', 'netperf-2.7.0-tcp-rr-refused-keyval.txt'])(
    'quotes netperf when no netserver listens: %s',
    (name) => {
      expect(() => parseNetperf(fixture(name))).toThrow(
        'netperf failed: establish control: are you sure there is a netserver listening on 198.18.3.2 at port 12865?',
      );
    },
  );

  it.each(['netperf-2.7.0-tcp-rr-truncated.txt', 'netperf-2.7.0-tcp-rr-keyval-truncated.txt'])(
    'rejects %s, cut inside the rate',
    (name) => {
      expect(() => parseNetperf(fixture(name))).toThrow(/^not netperf TCP_RR\/UDP_RR output/);
    },
  );

  it.each([
    ['netperf-2.7.0-tcp-stream.txt', 'MIGRATED TCP STREAM TEST'],
    ['netperf-2.7.0-tcp-stream-keyval.txt', 'throughput is in 10^6bits/s'],
  ])('rejects a bulk transfer test: %s', (name, why) => {
    expect(() => parseNetperf(fixture(name))).toThrow(`not a netperf request/response test: ${why}`);
  });

  it('rejects text that is not netperf request/response output', () => {
    expect(() => parseNetperf('')).toThrow(/^not netperf TCP_RR\/UDP_RR output/);
    const sysbench = readFileSync(new URL('../fixtures/sysbench/sysbench-1.0.20-cpu-native.txt', import.meta.url), 'utf8');
    expect(() => parseNetperf(sysbench)).toThrow(/^not netperf TCP_RR\/UDP_RR output/);
    const nuttcp = readFileSync(new URL('../fixtures/nuttcp/nuttcp-6.1.2-tcp-receive-native-parse.txt', import.meta.url), 'utf8');
    expect(() => parseNetperf(nuttcp)).toThrow(/^not netperf TCP_RR\/UDP_RR output/);
  });
});
