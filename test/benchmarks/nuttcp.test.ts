import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNuttcp } from '../../src/benchmarks/nuttcp.js';
import { thirdParty } from '../helpers/fixtures.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/nuttcp/${name}`, import.meta.url), 'utf8');

const tcp = { droppedPackets: undefined, packets: undefined, lossPercent: undefined };

describe('parseNuttcp on captured outputs', () => {
  it('reads the default output, DUT transmitting (client -r), native', () => {
    expect(parseNuttcp(fixture('nuttcp-6.1.2-tcp-transmit-native.txt'))).toEqual({
      bytes: 4063952896, // 3875.6875 MB of 2^20 bytes
      seconds: 3,
      goodputBytesPerSecond: 1354687987.5, // 10837.5039 Mbps
      transmitterCpuPercent: 76,
      receiverCpuPercent: 41,
      retransmits: 0,
      rttSeconds: 0.4e-3,
      ...tcp,
    });
  });

  it('reads the default output, DUT receiving (client -t), native', () => {
    expect(parseNuttcp(fixture('nuttcp-6.1.2-tcp-receive-native.txt'))).toEqual({
      bytes: 4132700160,
      seconds: 3,
      goodputBytesPerSecond: 1377540550,
      transmitterCpuPercent: 72,
      receiverCpuPercent: 39,
      retransmits: 0,
      rttSeconds: 0.16e-3,
      ...tcp,
    });
  });

  it('reads the default output against the veth container, both directions', () => {
    expect(parseNuttcp(fixture('nuttcp-6.1.2-tcp-transmit-veth.txt'))).toEqual({
      bytes: 4694601630,
      seconds: 3,
      goodputBytesPerSecond: 1564168537.5,
      transmitterCpuPercent: 47,
      receiverCpuPercent: 43,
      retransmits: 0,
      rttSeconds: 0.15e-3,
      ...tcp,
    });
    expect(parseNuttcp(fixture('nuttcp-6.1.2-tcp-receive-veth.txt'))).toEqual({
      bytes: 4341497856,
      seconds: 3,
      goodputBytesPerSecond: 1446529475,
      transmitterCpuPercent: 47,
      receiverCpuPercent: 43,
      retransmits: 0,
      rttSeconds: 0.33e-3,
      ...tcp,
    });
  });

  it('reads -fparse output, DUT transmitting (no RTT with -r), native', () => {
    expect(parseNuttcp(fixture('nuttcp-6.1.2-tcp-transmit-native-parse.txt'))).toEqual({
      bytes: 4131323904,
      seconds: 3,
      goodputBytesPerSecond: 1376895925,
      transmitterCpuPercent: 76,
      receiverCpuPercent: 39,
      retransmits: 0,
      rttSeconds: undefined,
      ...tcp,
    });
  });

  it('reads -fparse output, DUT receiving, native', () => {
    expect(parseNuttcp(fixture('nuttcp-6.1.2-tcp-receive-native-parse.txt'))).toEqual({
      bytes: 4291403920,
      seconds: 3,
      goodputBytesPerSecond: 1429143150,
      transmitterCpuPercent: 74,
      receiverCpuPercent: 39,
      retransmits: 0,
      rttSeconds: 0.29e-3,
      ...tcp,
    });
  });

  it('reads -fparse output against the veth container, both directions', () => {
    expect(parseNuttcp(fixture('nuttcp-6.1.2-tcp-transmit-veth-parse.txt'))).toEqual({
      bytes: 3709082901,
      seconds: 3,
      goodputBytesPerSecond: 1235183850,
      transmitterCpuPercent: 48,
      receiverCpuPercent: 43,
      retransmits: 0,
      rttSeconds: undefined,
      ...tcp,
    });
    expect(parseNuttcp(fixture('nuttcp-6.1.2-tcp-receive-veth-parse.txt'))).toEqual({
      bytes: 4322230272,
      seconds: 3,
      goodputBytesPerSecond: 1441095050,
      transmitterCpuPercent: 53,
      receiverCpuPercent: 52,
      retransmits: 0,
      rttSeconds: 0.29e-3,
      ...tcp,
    });
  });

  it('reads UDP drops and loss, default and -fparse', () => {
    expect(parseNuttcp(fixture('nuttcp-6.1.2-udp-receive-native.txt'))).toEqual({
      bytes: 24946672,
      seconds: 2,
      goodputBytesPerSecond: 12472500,
      transmitterCpuPercent: 93,
      receiverCpuPercent: 10,
      retransmits: undefined,
      rttSeconds: undefined,
      droppedPackets: 53,
      packets: 24415,
      lossPercent: 0.22,
    });
    expect(parseNuttcp(fixture('nuttcp-6.1.2-udp-receive-native-parse.txt'))).toMatchObject({
      bytes: 24597496,
      goodputBytesPerSecond: 12316625,
      droppedPackets: 393,
      packets: 24414,
      lossPercent: 1.60978,
    });
  });

  it('reads the nuttcp 8.1.4 UDP client line (third party)', () => {
    expect(parseNuttcp(thirdParty('nuttcp-8.1.4-udp-client-pkb.txt'))).toEqual({
      bytes: 1485142019, // 1416.3418 MB
      seconds: 10,
      goodputBytesPerSecond: 148514012.5, // 1188.1121 Mbps
      transmitterCpuPercent: 85,
      receiverCpuPercent: 26,
      retransmits: undefined,
      rttSeconds: undefined,
      droppedPackets: 104429,
      packets: 1554763,
      lossPercent: 6.72,
    });
  });

  it('gives goodput = bytes / real seconds, to the precision of the printed seconds', () => {
    for (const name of ['nuttcp-6.1.2-tcp-receive-native.txt', 'nuttcp-6.1.2-tcp-transmit-veth-parse.txt']) {
      const s = parseNuttcp(fixture(name));
      expect(Math.abs(s.goodputBytesPerSecond / (s.bytes / s.seconds) - 1)).toBeLessThan(0.005 / 3);
    }
  });

  it.each([
    ['nuttcp-6.1.2-refused.txt', 'nuttcp-r: v6.1.2: Error: connect: Connection refused'],
    ['nuttcp-6.1.2-refused-parse.txt', 'nuttcp-r: v6.1.2: Error: connect: Connection refused'],
    ['nuttcp-6.1.2-refused-receive-parse.txt', 'nuttcp-t: v6.1.2: Error: connect: Connection refused'],
    ['nuttcp-6.1.2-unreachable.txt', 'nuttcp-r: v6.1.2: Error: connect: No route to host'],
  ])('reports the error of %s', (name, line) => {
    expect(() => parseNuttcp(fixture(name))).toThrow(`nuttcp failed: ${line}`);
  });

  it.each(['nuttcp-6.1.2-truncated.txt', 'nuttcp-6.1.2-truncated-parse.txt'])('rejects %s', (name) => {
    expect(() => parseNuttcp(fixture(name))).toThrow(/^not nuttcp output/);
  });

  it('rejects text that is not nuttcp output', () => {
    expect(() => parseNuttcp('')).toThrow(/^not nuttcp output/);
    const sysbench = readFileSync(new URL('../fixtures/sysbench/sysbench-1.0.20-cpu-native.txt', import.meta.url), 'utf8');
    expect(() => parseNuttcp(sysbench)).toThrow(/^not nuttcp output/);
  });
});
