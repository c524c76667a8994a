import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { nuttcp, parseNuttcp } from '../../src/benchmarks/nuttcp.js';
import type { DutConfig } from '../../src/config-file/schema.js';
import { type LocalExec, localExec } from '../../src/remote/local-exec.js';
import type { ExecResult } from '../../src/remote/ssh-connection.js';
import { thirdParty } from '../helpers/fixtures.js';
import { dutConfigIssues, FIVE_REPETITIONS, fakeContext, fakeDut, jobOn, parseDut, planOn } from '../helpers/job-context.js';

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

describe('nuttcp jobs', () => {
  const lab = `
    host: 198.18.3.2
    lxc_path: /srv/lxc
    containers: { veth: { name: veth0, address: 198.18.3.10 }, macvlan: { name: macvlan0, address: 198.18.3.11 } }`;
  const jobsOf = (dut: DutConfig) => planOn(nuttcp, dut);
  const job = (bench: string, labels: Record<string, string>) => jobOn(nuttcp, lab, bench, labels);
  const ok = (name: string): ExecResult => ({ stdout: fixture(name), stderr: '', exitCode: 0 });
  /** The TM client answers with the -fparse capture of its direction (-r: the DUT transmits) and address. */
  const client: LocalExec = async (argv) =>
    ok(`nuttcp-6.1.2-tcp-${argv.includes('-r') ? 'transmit' : 'receive'}-${argv.at(-1) === '198.18.3.10' ? 'veth' : 'native'}-parse.txt`);
  const other = (dir: string, name: string) => readFileSync(new URL(`../fixtures/${dir}/${name}`, import.meta.url), 'utf8');

  it('plans one job per netdev and direction, default netdevs host plus the configured containers', () => {
    const jobs = jobsOf(parseDut(`${lab}\nbenchmarks: { nuttcp: {} }`));
    expect(jobs.map((j) => [j.labels, j.mode, j.netdev, j.trafficTo, j.family])).toEqual(
      [
        [{ mode: 'native', netdev: 'host', direction: 'transmit' }, 'native', 'host', '198.18.3.2'],
        [{ mode: 'native', netdev: 'host', direction: 'receive' }, 'native', 'host', '198.18.3.2'],
        [{ mode: 'lxc', netdev: 'veth', direction: 'transmit' }, 'lxc', 'veth', '198.18.3.10'],
        [{ mode: 'lxc', netdev: 'veth', direction: 'receive' }, 'lxc', 'veth', '198.18.3.10'],
        [{ mode: 'lxc', netdev: 'macvlan', direction: 'transmit' }, 'lxc', 'macvlan', '198.18.3.11'],
        [{ mode: 'lxc', netdev: 'macvlan', direction: 'receive' }, 'lxc', 'macvlan', '198.18.3.11'],
      ].map((row) => [...row, 'edgebench_nuttcp_goodput_bytes_per_second']),
    );
    expect(
      jobs.every(
        (j) => j.benchmark === 'nuttcp' && j.timeoutMs === 60_000 && isDeepStrictEqual(j.repetitions, FIVE_REPETITIONS.repetitions),
      ),
    ).toBe(true);
  });

  it('sends host traffic to traffic_address, and measures only host and the containers configured', () => {
    const dut = parseDut(`
      host: 10.9.0.2
      traffic_address: 198.18.3.2
      containers: { veth: { name: veth0, address: 198.18.3.10 } }
      benchmarks: { nuttcp: { directions: [receive], repetitions: 3 } }`);
    expect(jobsOf(dut).map((j) => [j.netdev, j.trafficTo, j.repetitions])).toEqual([
      ['host', '198.18.3.2', { min: 3, max: 3, max_rsd_percent: 0, warmup: false }],
      ['veth', '198.18.3.10', { min: 3, max: 3, max_rsd_percent: 0, warmup: false }],
    ]);
    expect(jobsOf(parseDut('host: 10.9.0.2\nbenchmarks: { nuttcp: {} }')).map((j) => [j.netdev, j.trafficTo])).toEqual([
      ['host', '10.9.0.2'],
      ['host', '10.9.0.2'],
    ]);
  });

  it('plans the netdevs listed, in their order', () => {
    const jobs = jobsOf(parseDut(`${lab}\nbenchmarks: { nuttcp: { netdevs: [macvlan, host], directions: [transmit] } }`));
    expect(jobs.map((j) => j.labels)).toEqual([
      { mode: 'lxc', netdev: 'macvlan', direction: 'transmit' },
      { mode: 'native', netdev: 'host', direction: 'transmit' },
    ]);
  });

  it('refuses a netdev without its container and a timeout shorter than duration + 5s, naming the keys', () => {
    expect(
      dutConfigIssues(`
        host: 198.18.3.2
        containers: { veth: { name: veth0, address: 198.18.3.10 } }
        benchmarks: { nuttcp: { netdevs: [veth, macvlan], duration: 10s, timeout: 14s } }`),
    ).toEqual([
      { path: 'duts[0].benchmarks.nuttcp.netdevs[1]', message: expect.stringContaining('set containers.macvlan {name, address}') },
      { path: 'duts[0].benchmarks.nuttcp.timeout', message: expect.stringContaining('at least duration + 5s (15s)') },
    ]);
    expect(() => parseDut(`${lab}\nbenchmarks: { nuttcp: { duration: 10s, timeout: 15s } }`)).not.toThrow();
  });

  it('runs the server natively for host and the client with -r when the DUT transmits', async () => {
    const dut = fakeDut();
    const ctx = fakeContext(dut.exec, client);
    const rep = await job('{ duration: 3s }', { mode: 'native', netdev: 'host', direction: 'transmit' }).measure(ctx);
    expect(rep).toEqual({ values: [1376895925], extra: undefined }); // rate_Mbps=11015.1674
    expect(ctx.dutCommands).toEqual([expect.stringMatching(/^nuttcp -S --nofork -P5000 <\/dev\/null &\n[\s\S]*\*:1388\)/)]); // 5000
    expect(ctx.localCommands).toEqual([['nuttcp', '-r', '-T3', '-P5000', '-p5001', '-fparse', '198.18.3.2']]);
    expect(dut.processes.map((p) => p.killed)).toEqual([true]);
  });

  it('runs the server in the veth container and the client with -t when the DUT receives', async () => {
    const dut = fakeDut();
    const ctx = fakeContext(dut.exec, client);
    const bench = '{ duration: 3s, control_port: 6000, data_port: 6001, path: /usr/bin/nuttcp, client_path: /opt/nuttcp }';
    const rep = await job(bench, { mode: 'lxc', netdev: 'veth', direction: 'receive' }).measure(ctx);
    expect(rep.values).toEqual([1441095050]); // rate_Mbps=11528.7604
    expect(ctx.dutCommands).toEqual([
      expect.stringMatching(
        /^lxc-attach -P \/srv\/lxc -n veth0 -v "EDGEBENCH_JOB=\$EDGEBENCH_JOB" -- sh -c '\/usr\/bin\/nuttcp -S --nofork -P6000 <\/dev\/null &\n[\s\S]*\*:1770\)/,
      ),
    ]);
    expect(ctx.localCommands).toEqual([['/opt/nuttcp', '-t', '-T3', '-P6000', '-p6001', '-fparse', '198.18.3.10']]);
    expect(dut.processes.map((p) => p.killed)).toEqual([true]);
  });

  it.each([
    [
      'connection refused (exit 1)',
      'nuttcp-6.1.2-refused-parse.txt',
      1,
      'exit_status',
      'nuttcp failed: nuttcp-r: v6.1.2: Error: connect: Connection refused',
    ],
    [
      'no route to host (exit 1)',
      'nuttcp-6.1.2-unreachable.txt',
      1,
      'exit_status',
      'nuttcp failed: nuttcp-r: v6.1.2: Error: connect: No route to host',
    ],
    ['truncated output', 'nuttcp-6.1.2-truncated-parse.txt', 0, 'parse', 'not nuttcp output'],
  ])('kills the server when the client fails: %s', async (_, name, exitCode, reason, message) => {
    const dut = fakeDut();
    const local: LocalExec = async () => ({ stdout: '', stderr: fixture(name), exitCode });
    const run = job('{}', { mode: 'lxc', netdev: 'macvlan', direction: 'transmit' }).measure(fakeContext(dut.exec, local));
    await expect(run).rejects.toMatchObject({ reason, message: expect.stringContaining(message) });
    expect(dut.processes.map((p) => p.killed)).toEqual([true]);
  });

  it('kills the server when the TM has no nuttcp client (tool_missing)', async () => {
    const dut = fakeDut();
    const run = job('{ client_path: /nonexistent/edgebench/nuttcp }', { mode: 'native', netdev: 'host', direction: 'receive' }).measure(
      fakeContext(dut.exec, localExec),
    );
    await expect(run).rejects.toMatchObject({ reason: 'tool_missing', message: expect.stringContaining('not found on the test machine') });
    expect(dut.processes.map((p) => p.killed)).toEqual([true]);
  });

  it('fails as tool_missing, naming the container, when the DUT has no nuttcp server; runs no client', async () => {
    const missing = other('stream', 'lxc-attach-tool-missing.txt');
    const dut = fakeDut({ exits: () => ({ stdout: '', stderr: missing, exitCode: 127 }) });
    const ctx = fakeContext(dut.exec, client);
    const run = job('{}', { mode: 'lxc', netdev: 'veth', direction: 'transmit' }).measure(ctx);
    await expect(run).rejects.toMatchObject({
      reason: 'tool_missing',
      message: expect.stringMatching(/^nuttcp not found on DUT d1 \(lxc container veth0\): lxc-attach: .*Failed to exec/),
    });
    expect(dut.processes.map((p) => p.killed)).toEqual([false]); // it had ended
    expect(ctx.localCommands).toEqual([]);
  });

  describe('with perf: true', () => {
    // perf stat -a ends on SIGINT with status 130 (CAPTURE.md); the csv-hw-not-supported capture ended its
    // `-- sleep 1` with 0, but the lines perf prints are the same either way
    const perfFixture = (name: string): ExecResult => ({ stdout: '', stderr: other('perf', name), exitCode: 130 });
    const veth = { mode: 'lxc', netdev: 'veth', direction: 'transmit' };

    it('counts natively, even for veth, stopping perf with SIGINT after the transfer', async () => {
      const dut = fakeDut({ interrupted: () => perfFixture('perf-6.1-stat-csv-hw-not-supported.txt') });
      const ctx = fakeContext(dut.exec, client);
      const rep = await job('{ perf: true, duration: 3s }', veth).measure(ctx);
      // perf natively, without a port to wait for; the server in the container; nothing else
      expect(ctx.dutCommands).toEqual([
        expect.stringMatching(
          /^perf stat -a '-x,' -e 'branch-misses,L1-dcache-load-misses' --timeout 60000 <\/dev\/null &\npid=\$!\nread -r word\n/,
        ),
        expect.stringMatching(/^lxc-attach -P \/srv\/lxc -n veth0 .* -- sh -c 'nuttcp -S --nofork -P5000 <\/dev\/null &\n/),
      ]);
      expect(dut.processes.map((p) => [p.interrupted, p.killed])).toEqual([
        [true, false],
        [false, true],
      ]);
      expect(rep.values).toEqual([1235183850]); // the veth transmit capture, rate_Mbps=9881.4708
    });

    it('records <not supported> events as unsupported and returns no series for them', async () => {
      const dut = fakeDut({ interrupted: () => perfFixture('perf-6.1-stat-csv-hw-not-supported.txt') });
      const ctx = fakeContext(dut.exec, client);
      const rep = await job('{ perf: true }', { mode: 'native', netdev: 'host', direction: 'receive' }).measure(ctx);
      expect(ctx.perf).toEqual(
        new Map([
          ['branch-misses', false],
          ['L1-dcache-load-misses', false],
        ]),
      );
      expect(rep).toEqual({ values: [1429143150], extra: [] });
    });

    // No capture counts branch-misses or L1-dcache-load-misses (the lab's VM exposes no PMU): the only
    // SIGINT capture has counted software events, branch-misses <not supported> and no L1 line.
    it('fails as parse when perf printed no line for one of the two events, killing perf and the server', async () => {
      const dut = fakeDut({ interrupted: () => perfFixture('perf-6.1-stat-csv-sigint.txt') });
      const ctx = fakeContext(dut.exec, client);
      const run = job('{ perf: true }', veth).measure(ctx);
      await expect(run).rejects.toMatchObject({
        reason: 'parse',
        message: 'perf on DUT d1 (native) printed no line for L1-dcache-load-misses',
      });
      expect(ctx.perf.get('branch-misses')).toBe(false);
      expect(dut.processes.map((p) => [p.interrupted, p.killed])).toEqual([
        [true, false],
        [false, true],
      ]);
    });

    it('fails as tool_missing when the DUT has no perf, after the transfer', async () => {
      const missing: ExecResult = { stdout: '', stderr: other('perf', 'busybox-sh-perf-missing.txt'), exitCode: 127 };
      const dut = fakeDut({ exits: (cmd) => (cmd.startsWith('perf ') ? missing : undefined) });
      const ctx = fakeContext(dut.exec, client);
      const run = job('{ perf: true }', veth).measure(ctx);
      await expect(run).rejects.toMatchObject({
        reason: 'tool_missing',
        message: 'perf not found on DUT d1 (native): ash: perf: not found',
      });
      expect(dut.processes.map((p) => p.killed)).toEqual([false, true]); // perf had ended
    });

    it('kills perf and the server when the client fails', async () => {
      const dut = fakeDut({ interrupted: () => perfFixture('perf-6.1-stat-csv-hw-not-supported.txt') });
      const local: LocalExec = async () => ({ stdout: '', stderr: fixture('nuttcp-6.1.2-refused-parse.txt'), exitCode: 1 });
      const run = job('{ perf: true }', veth).measure(fakeContext(dut.exec, local));
      await expect(run).rejects.toMatchObject({ reason: 'exit_status' });
      expect(dut.processes.map((p) => [p.interrupted, p.killed])).toEqual([
        [false, true],
        [false, true],
      ]);
    });
  });
});
