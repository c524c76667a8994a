import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIperf3 } from '../../src/benchmarks/iperf3.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/iperf3/${name}`, import.meta.url), 'utf8');

describe('parseIperf3 on captured outputs', () => {
  it('reads a TCP client sending to the server, throughput from end.sum_received', () => {
    expect(parseIperf3(fixture('iperf3-3.12-tcp-sender.json'))).toEqual({
      version: '3.12',
      protocol: 'tcp',
      direction: 'sender',
      streams: 1,
      bytes: 1727791104,
      seconds: 2.003316,
      throughputBytesPerSecond: 6899724672.4930067 / 8,
      sentBytesPerSecond: 6910070815.554657 / 8,
      retransmits: 1154,
      lostPercent: undefined,
    });
  });

  it('reads a reverse (-R) TCP client, the server sending', () => {
    expect(parseIperf3(fixture('iperf3-3.12-tcp-reverse.json'))).toEqual({
      version: '3.12',
      protocol: 'tcp',
      direction: 'reverse',
      streams: 1,
      bytes: 2815033344,
      seconds: 2.000711,
      throughputBytesPerSecond: 11256131821.137587 / 8,
      sentBytesPerSecond: 11278874084.759315 / 8,
      retransmits: 681,
      lostPercent: undefined,
    });
  });

  it('reads a UDP client, with loss and no retransmits', () => {
    expect(parseIperf3(fixture('iperf3-3.12-udp-sender.json'))).toEqual({
      version: '3.12',
      protocol: 'udp',
      direction: 'sender',
      streams: 1,
      bytes: 24964968,
      seconds: 2.001332,
      throughputBytesPerSecond: 99793409.5892136 / 8,
      sentBytesPerSecond: 99857325.63819623 / 8,
      retransmits: undefined,
      lostPercent: 0,
    });
  });

  it('reads each of two clients started together against two servers, whose sum is the aggregate', () => {
    const a = parseIperf3(fixture('iperf3-3.12-parallel-1.json'));
    const b = parseIperf3(fixture('iperf3-3.12-parallel-2.json'));
    expect(a).toMatchObject({ bytes: 1664876544, seconds: 2.00249, throughputBytesPerSecond: 6651225400.376532 / 8, retransmits: 137 });
    expect(b).toMatchObject({ bytes: 2042101760, seconds: 2.004023, throughputBytesPerSecond: 8152009273.3466625 / 8, retransmits: 249 });
    expect(a.throughputBytesPerSecond + b.throughputBytesPerSecond).toBeCloseTo(1850404334.2, 0);
  });

  it.each([
    ['iperf3-3.12-busy.json', 'the server is busy running a test. try again later'],
    ['iperf3-3.12-refused.json', 'unable to connect to server: Connection refused'],
  ])('throws the "error" field of %s, which iperf3 3.12 prints with exit status 0', (name, error) => {
    expect(() => parseIperf3(fixture(name))).toThrow(`iperf3 failed: ${error}`);
  });

  it('rejects truncated JSON', () => {
    expect(() => parseIperf3(fixture('iperf3-3.12-truncated.json'))).toThrow(/^not iperf3 -J output: invalid JSON, truncated\?/);
  });

  it('rejects text that is not iperf3 -J output', () => {
    expect(() => parseIperf3('')).toThrow(/^not iperf3 -J output: no JSON object/);
    const sysbench = readFileSync(new URL('../fixtures/sysbench/sysbench-1.0.20-cpu-native.txt', import.meta.url), 'utf8');
    expect(() => parseIperf3(sysbench)).toThrow(/^not iperf3 -J output/);
    // JSON, but not an iperf3 result
    expect(() => parseIperf3(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))).toThrow(
      /^not an iperf3 -J test result: no valid start/,
    );
  });
});
