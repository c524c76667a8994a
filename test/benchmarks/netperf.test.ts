import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { netperf, parseNetperf } from '../../src/benchmarks/netperf.js';
import type { DutConfig } from '../../src/config-file/schema.js';
import { type LocalExec, localExec } from '../../src/remote/local-exec.js';
import { dutConfigIssues, FIVE_REPETITIONS, fakeContext, fakeDut, jobOn, parseDut, planOn } from '../helpers/job-context.js';

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

describe('parseNetperf on every output form of netperf 2.7.0 (loopback captures)', () => {
  const loopback = { requestSize: 100, responseSize: 200, elapsedSeconds: 1 };
  const none = { requestSize: undefined, responseSize: undefined, elapsedSeconds: undefined };

  it.each([
    ['tcp-rr-v0', 'TCP_RR', 46699.29, none],
    ['udp-rr-v0', 'UDP_RR', 55404.58, none],
    ['tcp-rr-v0-p0', undefined, 43955.21, none],
    ['tcp-rr-v2', 'TCP_RR', 56023.5, loopback],
    ['udp-rr-v2', 'UDP_RR', 63217.87, loopback],
    ['tcp-rr-omni-o', 'TCP_RR', 57959.22, none],
    ['tcp-rr-omni-o-p0', undefined, 61027.37, none],
    ['tcp-rr-omni-o-default', 'TCP_RR', 53279.07, loopback],
    ['udp-rr-omni-o-selectors', 'UDP_RR', 60954.833, loopback],
    ['tcp-rr-omni-O', 'TCP_RR', 56862.76, none],
    ['tcp-rr-omni-O-p0', undefined, 43215.01, none],
    ['tcp-rr-omni-O-default', 'TCP_RR', 50754.78, loopback],
    ['udp-rr-omni-O-selectors', 'UDP_RR', 69138.079, loopback],
    ['tcp-rr-omni-k-rate', 'TCP_RR', 52125.852, none],
    ['tcp-rr-omni-k-throughput-p0', undefined, 47348.04, none],
    ['tcp-rr-omni-k-default', 'TCP_RR', 42375.88, loopback],
  ])('reads netperf-2.7.0-%s.txt', (form, test, tps, sizes) => {
    expect(parseNetperf(fixture(`netperf-2.7.0-${form}.txt`))).toEqual({ test, transactionsPerSecond: tps, rttSeconds: 1 / tps, ...sizes });
  });

  it.each([
    ['udp-rr-omni-o-latency', 'Minimum Latency Microseconds, Mean Latency Microseconds, 99th Percentile Latency Microseconds'],
    ['udp-rr-omni-O-latency', 'Minimum Latency Microseconds, Mean Latency Microseconds, 99th Percentile Latency Microseconds'],
    ['tcp-rr-omni-k-latency', 'MIN_LATENCY, MEAN_LATENCY, P99_LATENCY'],
  ])('says that netperf-2.7.0-%s.txt selects no rate, naming what it shows', (form, shown) => {
    expect(() => parseNetperf(fixture(`netperf-2.7.0-${form}.txt`))).toThrow(
      `netperf output has no transaction rate: select THROUGHPUT or TRANSACTION_RATE (it shows ${shown})`,
    );
  });

  it('refuses several values without their titles (-P 0 -- -O TRANSACTION_RATE,MEAN_LATENCY): which is the rate cannot be told', () => {
    expect(() => parseNetperf(fixture('netperf-2.7.0-tcp-rr-omni-O-p0-columns.txt'))).toThrow(
      /^netperf printed several values without their titles \(-P 0\)/,
    );
  });

  it.each([
    ['tcp-stream-omni-o-p0', 'throughput is in 10^6bits/s, not Trans/s'],
    ['tcp-stream-omni-O', 'MIGRATED TCP STREAM TEST'],
  ])('refuses a bulk transfer in omni form: netperf-2.7.0-%s.txt', (form, why) => {
    expect(() => parseNetperf(fixture(`netperf-2.7.0-${form}.txt`))).toThrow(`not a netperf request/response test: ${why}`);
  });

  it('refuses a -O output cut before its last column', () => {
    const full = fixture('netperf-2.7.0-udp-rr-omni-O-selectors.txt');
    expect(() => parseNetperf(full.slice(0, full.lastIndexOf('100     200')))).toThrow(
      'not netperf TCP_RR/UDP_RR output: its values stop before the last column (truncated?)',
    );
  });

  it('reads CRLF line ends as netperf wrote them', () => {
    for (const form of ['tcp-rr-v2', 'udp-rr-omni-o-selectors', 'udp-rr-omni-O-selectors', 'tcp-rr-omni-k-default']) {
      const text = fixture(`netperf-2.7.0-${form}.txt`);
      expect(parseNetperf(text.replaceAll('\n', '\r\n'))).toEqual(parseNetperf(text));
    }
  });
});

describe('netperf jobs', () => {
  const lab = `
    host: 198.18.3.2
    lxc_path: /srv/lxc
    containers: { veth: { name: veth0, address: 198.18.3.10 }, macvlan: { name: macvlan0, address: 198.18.3.11 } }`;
  const jobsOf = (dut: DutConfig) => planOn(netperf, dut);
  const job = (bench: string, labels: Record<string, string>) => jobOn(netperf, lab, bench, labels);
  /** The TM client answers with the -k capture of its test and address. */
  const client: LocalExec = async (argv) => {
    const test = argv.includes('TCP_RR') ? 'tcp' : 'udp';
    const where = argv.includes('198.18.3.10') ? 'veth' : 'native';
    return { stdout: fixture(`netperf-2.7.0-${test}-rr-${where}-keyval.txt`), stderr: '', exitCode: 0 };
  };
  const selectors = 'THROUGHPUT,THROUGHPUT_UNITS,TRANSACTION_RATE,PROTOCOL,DIRECTION,REQUEST_SIZE,RESPONSE_SIZE,ELAPSED_TIME';

  it('plans one job per netdev and protocol, default netdevs host plus the configured containers', () => {
    const jobs = jobsOf(parseDut(`${lab}\nbenchmarks: { netperf: { repetitions: { min: 2, max: 4 } } }`));
    expect(jobs.map((j) => [j.labels, j.mode, j.netdev, j.trafficTo])).toEqual([
      [{ mode: 'native', netdev: 'host', protocol: 'tcp' }, 'native', 'host', '198.18.3.2'],
      [{ mode: 'native', netdev: 'host', protocol: 'udp' }, 'native', 'host', '198.18.3.2'],
      [{ mode: 'lxc', netdev: 'veth', protocol: 'tcp' }, 'lxc', 'veth', '198.18.3.10'],
      [{ mode: 'lxc', netdev: 'veth', protocol: 'udp' }, 'lxc', 'veth', '198.18.3.10'],
      [{ mode: 'lxc', netdev: 'macvlan', protocol: 'tcp' }, 'lxc', 'macvlan', '198.18.3.11'],
      [{ mode: 'lxc', netdev: 'macvlan', protocol: 'udp' }, 'lxc', 'macvlan', '198.18.3.11'],
    ]);
    expect(new Set(jobs.map((j) => j.family))).toEqual(new Set(['edgebench_netperf_rtt_seconds']));
    expect(jobs[0]?.repetitions).toEqual({ min: 2, max: 4, max_rsd_percent: 3.5, warmup: false });
  });

  it('sends host traffic to traffic_address and uses the default repetitions when none are set', () => {
    const dut = parseDut('host: 10.9.0.2\ntraffic_address: 198.18.3.2\nbenchmarks: { netperf: { protocols: [udp] } }');
    expect(jobsOf(dut).map((j) => [j.labels, j.trafficTo, j.repetitions])).toEqual([
      [{ mode: 'native', netdev: 'host', protocol: 'udp' }, '198.18.3.2', FIVE_REPETITIONS.repetitions],
    ]);
  });

  it('refuses a netdev without its container and a timeout shorter than duration + 5s, naming the keys', () => {
    expect(
      dutConfigIssues('host: 198.18.3.2\nbenchmarks: { netperf: { netdevs: [host, macvlan, veth], duration: 30s, timeout: 34s } }'),
    ).toEqual([
      { path: 'duts[0].benchmarks.netperf.netdevs[1]', message: expect.stringContaining('needs a container') },
      { path: 'duts[0].benchmarks.netperf.netdevs[2]', message: expect.stringContaining('needs a container') },
      { path: 'duts[0].benchmarks.netperf.timeout', message: expect.stringContaining('at least duration + 5s (35s)') },
    ]);
  });

  it('runs netserver natively and TCP_RR with 100-byte requests and 200-byte responses: rtt = 1 / transaction rate', async () => {
    const dut = fakeDut();
    const ctx = fakeContext(dut.exec, client);
    const rep = await job('{ duration: 3s }', { mode: 'native', netdev: 'host', protocol: 'tcp' }).measure(ctx);
    expect(rep).toEqual({ values: [1 / 25761.51] });
    expect(ctx.dutCommands).toEqual([expect.stringMatching(/^netserver -D -f -p 12865 <\/dev\/null &\n[\s\S]*\*:3241\)/)]); // 12865
    expect(ctx.localCommands).toEqual([
      ['netperf', '-H', '198.18.3.2', '-p', '12865', '-t', 'TCP_RR', '-l', '3', '-P', '0', '--', '-r', '100,200', '-k', selectors],
    ]);
    expect(dut.processes.map((p) => p.killed)).toEqual([true]);
  });

  it('runs netserver in the veth container and UDP_RR against its address', async () => {
    const dut = fakeDut();
    const ctx = fakeContext(dut.exec, client);
    const bench = '{ duration: 3s, port: 12866, path: /usr/sbin/netserver, client_path: /opt/netperf }';
    const rep = await job(bench, { mode: 'lxc', netdev: 'veth', protocol: 'udp' }).measure(ctx);
    expect(rep.values).toEqual([1 / 52345.487]);
    expect(ctx.dutCommands[0]).toMatch(
      /^lxc-attach -P \/srv\/lxc -n veth0 -v "EDGEBENCH_JOB=\$EDGEBENCH_JOB" -- sh -c '\/usr\/sbin\/netserver -D -f -p 12866 <\/dev\/null &\n/,
    );
    expect(ctx.localCommands[0]?.slice(0, 9)).toEqual(['/opt/netperf', '-H', '198.18.3.10', '-p', '12866', '-t', 'UDP_RR', '-l', '3']);
    expect(dut.processes.map((p) => p.killed)).toEqual([true]);
  });

  it('takes the request and response sizes from the configuration', async () => {
    const ctx = fakeContext(fakeDut().exec, client);
    await job('{ request_size: 64, response_size: 1024 }', { mode: 'lxc', netdev: 'macvlan', protocol: 'tcp' }).measure(ctx);
    expect(ctx.localCommands[0]).toEqual(expect.arrayContaining(['-H', '198.18.3.11', '-l', '10', '-r', '64,1024']));
  });

  it.each([
    ['no netserver listening (exit 255)', 'netperf-2.7.0-tcp-rr-refused-keyval.txt', 255, 'exit_status', 'establish control: are you sure'],
    ['truncated output', 'netperf-2.7.0-tcp-rr-keyval-truncated.txt', 0, 'parse', 'not netperf TCP_RR/UDP_RR output'],
    ['a bulk transfer result', 'netperf-2.7.0-tcp-stream-keyval.txt', 0, 'parse', 'throughput is in 10^6bits/s'],
  ])('kills netserver when the client fails: %s', async (_, name, exitCode, reason, message) => {
    const dut = fakeDut();
    const local: LocalExec = async () => ({ stdout: fixture(name), stderr: '', exitCode });
    const run = job('{}', { mode: 'native', netdev: 'host', protocol: 'tcp' }).measure(fakeContext(dut.exec, local));
    await expect(run).rejects.toMatchObject({ reason, message: expect.stringContaining(message) });
    expect(dut.processes.map((p) => p.killed)).toEqual([true]);
  });

  it('kills netserver when the TM has no netperf (tool_missing)', async () => {
    const dut = fakeDut();
    const run = job('{ client_path: /nonexistent/edgebench/netperf }', { mode: 'lxc', netdev: 'veth', protocol: 'udp' }).measure(
      fakeContext(dut.exec, localExec),
    );
    await expect(run).rejects.toMatchObject({
      reason: 'tool_missing',
      message: expect.stringMatching(/^\/nonexistent\/edgebench\/netperf not found/),
    });
    expect(dut.processes.map((p) => p.killed)).toEqual([true]);
  });

  it('fails as tool_missing, naming the context, when the DUT has no netserver', async () => {
    const missing = readFileSync(new URL('../fixtures/stream/lxc-attach-tool-missing.txt', import.meta.url), 'utf8');
    const dut = fakeDut({ exits: () => ({ stdout: '', stderr: missing, exitCode: 127 }) });
    const ctx = fakeContext(dut.exec, client);
    const run = job('{}', { mode: 'lxc', netdev: 'macvlan', protocol: 'udp' }).measure(ctx);
    await expect(run).rejects.toMatchObject({
      reason: 'tool_missing',
      message: expect.stringMatching(/^netserver not found on DUT d1 \(lxc container macvlan0\): /),
    });
    expect(dut.processes.map((p) => p.killed)).toEqual([false]); // it had ended
    expect(ctx.localCommands).toEqual([]);
  });
});
