// `edgebench parse TOOL [FILE|-]` on captured outputs: JSON for the tool's own output, exit 1 with
// a message naming the tool and the file for anything else.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli } from '../../harness/repo.js';

const fixture = (path: string) => fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url));
const parse = (args: string[], input?: string) =>
  spawnSync(process.execPath, [cli, 'parse', ...args], { encoding: 'utf8', input, timeout: 20_000 });

const OUTPUTS: [tool: string, file: string, expected: Record<string, unknown>][] = [
  ['sysbench', 'sysbench/sysbench-1.0.20-cpu-native.txt', { totalTimeSeconds: 0.4616, events: 2000 }],
  ['linpack', 'linpack/linpackc-dp-unroll-native.txt', { tool: 'linpack', n: 100 }],
  ['hpcc', 'linpack/hpcc-1.5.0-n1000-native.txt', { tool: 'hpcc', n: 1000, residualPassed: true }],
  ['nuttcp', 'nuttcp/nuttcp-6.1.2-tcp-transmit-native-parse.txt', {}],
  ['netperf', 'netperf/netperf-2.7.0-udp-rr-native-keyval.txt', { test: 'UDP_RR', requestSize: 100, responseSize: 200 }],
  ['iperf3', 'iperf3/iperf3-3.12-tcp-reverse.json', { protocol: 'tcp', direction: 'reverse' }],
  ['stream', 'stream/lmbench-3.0-a9-stream2-native.txt', { suite: 'stream2' }],
  ['perf', 'perf/perf-6.1-stat-csv-hw-not-supported.txt', {}],
];

describe('edgebench parse', () => {
  it.each(OUTPUTS)('prints %s output from %s as JSON', (tool, file, expected) => {
    const r = parse([tool, fixture(file)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject(expected);
  });

  it('reads standard input with - or no file', () => {
    const text = readFileSync(fixture('iperf3/iperf3-3.12-tcp-sender.json'), 'utf8');
    for (const args of [['iperf3', '-'], ['iperf3']]) {
      const r = parse(args, text);
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ direction: 'sender' });
    }
  });

  it.each(OUTPUTS)('exits 1 when the output given as %s is another tool’s', (tool) => {
    // every tool's parser must reject a sysbench output, and sysbench's a netperf one
    const other = tool === 'sysbench' ? 'netperf/netperf-2.7.0-tcp-rr-native.txt' : 'sysbench/sysbench-1.0.20-cpu-native.txt';
    const r = parse([tool, fixture(other)]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^${tool}: .*${other.split('/')[1]}: .+`));
  });

  it('quotes the tool’s own error: a busy iperf3 server', () => {
    const r = parse(['iperf3', fixture('iperf3/iperf3-3.12-busy.json')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('iperf3 failed: the server is busy running a test. try again later');
  });

  it('rejects truncated output', () => {
    const r = parse(['nuttcp', fixture('nuttcp/nuttcp-6.1.2-truncated-parse.txt')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^nuttcp: .*truncated-parse\.txt: not nuttcp output/);
  });

  it('names the known tools when the tool is unknown', () => {
    const r = parse(['ping', fixture('iperf3/iperf3-3.12-busy.json')]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('unknown tool "ping": one of sysbench, linpack, hpcc, stream, nuttcp, perf, netperf, iperf3, lxc_startup');
  });

  it('says which file it cannot read', () => {
    const r = parse(['perf', '/nonexistent/perf.txt']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^perf: \/nonexistent\/perf\.txt: ENOENT/);
  });
});
