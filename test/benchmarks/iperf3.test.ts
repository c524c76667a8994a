import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { iperf3, parseIperf3 } from '../../src/benchmarks/iperf3.js';
import type { DutConfig } from '../../src/config-file/schema.js';
import { type LocalExec, localExec } from '../../src/remote/local-exec.js';
import type { ExecResult } from '../../src/remote/ssh-connection.js';
import { dutConfigIssues, type FakeDut, fakeContext, fakeDut, jobOn, parseDut, planOn } from '../helpers/job-context.js';

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

describe('iperf3 jobs', () => {
  const lab = `
    host: 198.18.3.2
    lxc_path: /srv/lxc
    containers: { veth: { name: veth0, address: 198.18.3.10 }, macvlan: { name: macvlan0, address: 198.18.3.11 } }`;
  const jobsOf = (dut: DutConfig) => planOn(iperf3, dut);
  const job = (bench: string, labels: Record<string, string>) => jobOn(iperf3, lab, bench, labels);
  const ok = (name: string): ExecResult => ({ stdout: fixture(name), stderr: '', exitCode: 0 });
  /** Two clients started together against ports 5201 and 5202: the captured parallel pair. */
  const pair: LocalExec = async (argv) => ok(argv.includes('5201') ? 'iperf3-3.12-parallel-1.json' : 'iperf3-3.12-parallel-2.json');
  const killed = (dut: FakeDut) => dut.processes.map((p) => p.killed);

  it('plans one job per netdev, direction and instance count', () => {
    const jobs = jobsOf(parseDut(`${lab}\nbenchmarks: { iperf3: { netdevs: [host, macvlan], instances: [1, 4] } }`));
    expect(jobs.map((j) => [j.labels, j.mode, j.netdev, j.trafficTo])).toEqual([
      [{ mode: 'native', netdev: 'host', direction: 'transmit', instances: '1' }, 'native', 'host', '198.18.3.2'],
      [{ mode: 'native', netdev: 'host', direction: 'transmit', instances: '4' }, 'native', 'host', '198.18.3.2'],
      [{ mode: 'native', netdev: 'host', direction: 'receive', instances: '1' }, 'native', 'host', '198.18.3.2'],
      [{ mode: 'native', netdev: 'host', direction: 'receive', instances: '4' }, 'native', 'host', '198.18.3.2'],
      [{ mode: 'lxc', netdev: 'macvlan', direction: 'transmit', instances: '1' }, 'lxc', 'macvlan', '198.18.3.11'],
      [{ mode: 'lxc', netdev: 'macvlan', direction: 'transmit', instances: '4' }, 'lxc', 'macvlan', '198.18.3.11'],
      [{ mode: 'lxc', netdev: 'macvlan', direction: 'receive', instances: '1' }, 'lxc', 'macvlan', '198.18.3.11'],
      [{ mode: 'lxc', netdev: 'macvlan', direction: 'receive', instances: '4' }, 'lxc', 'macvlan', '198.18.3.11'],
    ]);
    expect(new Set(jobs.map((j) => j.family))).toEqual(new Set(['edgebench_iperf3_throughput_bytes_per_second']));
  });

  it('defaults to host plus the configured containers, 1, 2 and 4 instances; repetitions override the defaults', () => {
    const dut = parseDut(`
      host: 10.9.0.2
      traffic_address: 198.18.3.2
      containers: { veth: { name: veth0, address: 198.18.3.10 } }
      benchmarks: { iperf3: { directions: [receive], repetitions: 7 } }`);
    const jobs = jobsOf(dut);
    expect(jobs.map((j) => `${j.netdev} ${j.labels.instances} ${j.trafficTo}`)).toEqual([
      'host 1 198.18.3.2',
      'host 2 198.18.3.2',
      'host 4 198.18.3.2',
      'veth 1 198.18.3.10',
      'veth 2 198.18.3.10',
      'veth 4 198.18.3.10',
    ]);
    expect(jobs.every((j) => isDeepStrictEqual(j.repetitions, { min: 7, max: 7, max_rsd_percent: 0, warmup: false }))).toBe(true);
  });

  it('refuses base_port + instances beyond 65535, a netdev without container and a short timeout, naming the keys', () => {
    expect(
      dutConfigIssues(`host: 198.18.3.2\nbenchmarks: { iperf3: { base_port: 65533, instances: [1, 4], netdevs: [veth], timeout: 12s } }`),
    ).toEqual([
      { path: 'duts[0].benchmarks.iperf3.netdevs[0]', message: expect.stringContaining('set containers.veth') },
      { path: 'duts[0].benchmarks.iperf3.timeout', message: expect.stringContaining('at least duration + 5s (15s)') },
      { path: 'duts[0].benchmarks.iperf3.base_port', message: 'base_port + instances - 1 must be at most 65535' },
    ]);
    expect(() => parseDut('host: 198.18.3.2\nbenchmarks: { iperf3: { base_port: 65532, instances: [1, 4] } }')).not.toThrow();
  });

  it('runs k servers on base_port.. and k clients, the aggregate being the sum of the receiver-side throughputs', async () => {
    const dut = fakeDut();
    const ctx = fakeContext(dut.exec, pair);
    const rep = await job('{ duration: 2s }', { mode: 'native', netdev: 'host', direction: 'receive', instances: '2' }).measure(ctx);
    expect(rep).toEqual({ values: [6651225400.376532 / 8 + 8152009273.3466625 / 8] });
    // one channel per server: it starts the server, looks for its LISTEN socket and stops it
    expect(ctx.dutCommands).toEqual([
      expect.stringMatching(/^iperf3 -s -p 5201 <\/dev\/null &\n[\s\S]*\*:1451\)/),
      expect.stringMatching(/^iperf3 -s -p 5202 <\/dev\/null &\n[\s\S]*\*:1452\)/),
    ]);
    expect(ctx.localCommands).toEqual([
      ['iperf3', '-c', '198.18.3.2', '-p', '5201', '-t', '2', '-J'],
      ['iperf3', '-c', '198.18.3.2', '-p', '5202', '-t', '2', '-J'],
    ]);
    expect(killed(dut)).toEqual([true, true]);
  });

  it('runs the servers in the container and the client with -R when the DUT transmits', async () => {
    const dut = fakeDut();
    const ctx = fakeContext(dut.exec, async () => ok('iperf3-3.12-tcp-reverse.json'));
    const bench = '{ duration: 2s, base_port: 6201, path: /usr/bin/iperf3, client_path: /opt/iperf3 }';
    const rep = await job(bench, { mode: 'lxc', netdev: 'veth', direction: 'transmit', instances: '1' }).measure(ctx);
    expect(rep.values).toEqual([11256131821.137587 / 8]);
    expect(ctx.dutCommands).toEqual([
      expect.stringMatching(
        /^lxc-attach -P \/srv\/lxc -n veth0 -v "EDGEBENCH_JOB=\$EDGEBENCH_JOB" -- sh -c '\/usr\/bin\/iperf3 -s -p 6201 <\/dev\/null &\n[\s\S]*\*:1839\)/,
      ),
    ]);
    expect(ctx.localCommands).toEqual([['/opt/iperf3', '-c', '198.18.3.10', '-p', '6201', '-t', '2', '-J', '-R']]);
    expect(killed(dut)).toEqual([true]);
  });

  it.each([
    [
      'the server is busy (exit 0)',
      'iperf3-3.12-busy.json',
      'exit_status',
      'iperf3 failed: the server is busy running a test. try again later',
    ],
    [
      'connection refused (exit 0)',
      'iperf3-3.12-refused.json',
      'exit_status',
      'iperf3 failed: unable to connect to server: Connection refused',
    ],
    ['truncated JSON', 'iperf3-3.12-truncated.json', 'parse', 'not iperf3 -J output: invalid JSON, truncated?'],
  ])('kills every server when one client fails: %s', async (_, name, reason, message) => {
    const dut = fakeDut();
    const ctx = fakeContext(dut.exec, async (argv) => ok(argv.includes('5202') ? name : 'iperf3-3.12-parallel-1.json'));
    const run = job('{}', { mode: 'lxc', netdev: 'macvlan', direction: 'receive', instances: '2' }).measure(ctx);
    await expect(run).rejects.toMatchObject({ reason, message: expect.stringContaining(message) });
    expect(ctx.localCommands).toHaveLength(2);
    expect(killed(dut)).toEqual([true, true]);
  });

  it('kills every server when the TM has no iperf3 (tool_missing)', async () => {
    const dut = fakeDut();
    const run = job('{ client_path: /nonexistent/edgebench/iperf3 }', {
      mode: 'native',
      netdev: 'host',
      direction: 'transmit',
      instances: '4',
    }).measure(fakeContext(dut.exec, localExec));
    await expect(run).rejects.toMatchObject({ reason: 'tool_missing', message: expect.stringContaining('not found on the test machine') });
    expect(killed(dut)).toEqual([true, true, true, true]);
  });

  it('fails as tool_missing, naming the container, when the DUT has no iperf3, killing the servers already started', async () => {
    const missing = readFileSync(new URL('../fixtures/stream/lxc-attach-tool-missing.txt', import.meta.url), 'utf8');
    const dut = fakeDut({ exits: (cmd) => (cmd.includes(' -p 5202 ') ? { stdout: '', stderr: missing, exitCode: 127 } : undefined) });
    const ctx = fakeContext(dut.exec, pair);
    const run = job('{}', { mode: 'lxc', netdev: 'veth', direction: 'transmit', instances: '2' }).measure(ctx);
    await expect(run).rejects.toMatchObject({
      reason: 'tool_missing',
      message: expect.stringMatching(/^iperf3 not found on DUT d1 \(lxc container veth0\): /),
    });
    // the second had ended on its own
    expect(killed(dut)).toEqual([true, false]);
    expect(ctx.localCommands).toEqual([]);
  });
});
