// One round of every benchmark on an emulated MIPS router: `edgebench-lab up --arch mipsel` builds
// (or reuses) the Debian mipsel image with its own kernel, boots it under QEMU (a 24Kc without
// FPU, 256 MiB, a pcnet NIC), and `edgebench serve` measures it natively and in its veth and
// macvlan containers with the configuration the lab generates. Values are checked against what
// such a device can do, not against this host; the lab is torn down, QEMU included.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseExposition, type Sample } from '../../harness/exposition.js';
import { labDown, labRoot, labUp, requireRoot } from '../../harness/lab.js';
import { freePort } from '../../harness/ports.js';
import { dutSeries, NETDEVS } from '../helpers/exposition.js';
import { labName, liveProcesses, waitFor } from '../helpers/lab.js';
import { ServeProcess } from '../helpers/serve-process.js';

requireRoot('the emulated-device test');
const name = labName('m');
const dut = `lab-${name}`;
const work = mkdtempSync(join(tmpdir(), 'edgebench-mipsel-'));
let serve: ServeProcess | undefined;
let samples: Sample[] = [];
let metricsText = '';
let config: { repetitions: unknown; duts: { benchmarks: Record<string, { instances?: number[] }> }[] };
/** Whether the image has sysbench: built from Debian's source when the mirror serves it (the manifest says). */
let hasSysbench = false;

beforeAll(async () => {
  const configPath = labUp(name, '--arch', 'mipsel');
  const manifest = readFileSync(join(readFileSync(join(labRoot, name, 'image'), 'utf8').trim(), 'manifest'), 'utf8');
  hasSysbench = !/^sysbench missing/m.test(manifest);
  if (!hasSysbench) console.warn(`the mipsel image has no sysbench; checking that its jobs fail as tool_missing (${manifest})`);
  config = parse(readFileSync(configPath, 'utf8'));
  // the lab's configuration, with fewer repetitions and instances: the round in about ten minutes
  const benchmarks = config.duts[0]?.benchmarks ?? {};
  config.repetitions = 2;
  Object.assign(benchmarks.linpack ?? {}, { instances: [1] });
  Object.assign(benchmarks.iperf3 ?? {}, { instances: [1, 2] });
  const port = await freePort();
  const file = join(work, 'edgebench.yml');
  writeFileSync(file, stringify({ ...config, listen: `127.0.0.1:${port}` }));
  const s = ServeProcess.start(file, port);
  serve = s;
  metricsText = await waitFor('the first round on the emulated router in /metrics', 900_000, async () => {
    if (s.proc.exitCode !== null) throw new Error(`edgebench serve exited: ${s.log}`);
    const text = await (await s.get('/metrics')).text();
    return text.includes('edgebench_round_last_completion_timestamp_seconds{') ? text : undefined;
  });
  samples = parseExposition(metricsText);
  writeFileSync(join(work, 'metrics.txt'), metricsText);
  writeFileSync(join(work, 'serve.log'), s.log);
}, 1_140_000);

afterAll(() => {
  serve?.proc.kill('SIGKILL');
  labDown(name);
});

const { find, value } = dutSeries(() => samples, dut, `${work}/metrics.txt`);
const MBIT = 1e6 / 8;
const instancesOf = (benchmark: string) => (config.duts[0]?.benchmarks[benchmark]?.instances ?? []).map(String);

describe('edgebench serve against an emulated MIPS 24Kc router', () => {
  it('says it measured a mips device running its own kernel', () => {
    const info = find('edgebench_dut_info', { dut })[0]?.labels;
    expect(info).toMatchObject({ arch: 'mips', os: expect.stringContaining('Debian') });
    expect(info?.release).toMatch(/-4kc-malta$/);
  });

  it('ran every job of the round without a failure (sysbench aside when the image lacks it)', () => {
    const failures = find('edgebench_benchmark_failures_total', { dut }).filter((s) => s.value !== 0);
    const failed = (serve?.lines ?? []).filter((l) => l.msg === 'job failed').map((l) => JSON.stringify(l));
    const expected = hasSysbench ? [] : failures.filter((f) => f.labels.benchmark === 'sysbench' && f.labels.reason === 'tool_missing');
    expect(failures, failed.join('\n')).toEqual(expected);
    for (const benchmark of ['sysbench', 'linpack', 'stream', 'nuttcp', 'netperf', 'iperf3', 'lxc_startup']) {
      expect(find('edgebench_benchmark_runs_total', { dut, benchmark })[0]?.value, benchmark).toBeGreaterThan(0);
    }
  });

  it('reports a missing sysbench as a real router would: every sysbench job fails as tool_missing, naming it', () => {
    if (hasSysbench) return; // the next test measures it
    const jobs = 2 * instancesOf('sysbench').length;
    expect(find('edgebench_benchmark_failures_total', { dut, benchmark: 'sysbench', reason: 'tool_missing' })[0]?.value).toBe(jobs);
    expect(find('edgebench_sysbench_cpu_duration_seconds', { dut })).toEqual([]);
    const failed = (serve?.lines ?? []).filter((l) => l.msg === 'job failed' && l.benchmark === 'sysbench');
    expect(failed.map((l) => l.reason)).toEqual(Array(jobs).fill('tool_missing'));
    for (const l of failed) expect(l.err).toMatch(/^sysbench not found on DUT /);
  });

  it('times sysbench (built for the guest from Debian source) natively and in containers, slower with more instances', () => {
    if (!hasSysbench) return; // the previous test checks its absence
    for (const mode of ['native', 'lxc']) {
      const times = instancesOf('sysbench').map((instances) => value('edgebench_sysbench_cpu_duration_seconds', { mode, instances }));
      // one core: k instances take about k times as long (the paper's Fig. 2 for its single-core routers)
      for (let i = 1; i < times.length; i++) expect(times[i] as number).toBeGreaterThan((times[i - 1] as number) * 1.3);
      for (const t of times) expect(t).toBeGreaterThan(0.05);
    }
  });

  it('measures Linpack at a router-class rate: kilo- to a few hundred mega-FLOP/s', () => {
    for (const mode of ['native', 'lxc']) {
      for (const instances of instancesOf('linpack')) {
        const flops = value('edgebench_linpack_flops', { mode, instances });
        expect(flops).toBeGreaterThan(1e4);
        expect(flops).toBeLessThan(5e8);
      }
    }
  });

  it('measures STREAM and STREAM2 at an embedded memory bandwidth, natively and in a container', () => {
    const kernels = [
      ['stream', 'copy'],
      ['stream', 'scale'],
      ['stream', 'add'],
      ['stream', 'triad'],
      ['stream2', 'fill'],
      ['stream2', 'copy'],
      ['stream2', 'daxpy'],
      ['stream2', 'sum'],
    ];
    for (const [suite, kernel] of kernels) {
      for (const mode of ['native', 'lxc']) {
        const bw = value('edgebench_stream_bandwidth_bytes_per_second', { mode, suite: suite as string, kernel: kernel as string });
        // the paper's lks7688: 47-208 MB/s; a 24Kc emulating its FPU under QEMU: lower
        expect(bw).toBeGreaterThan(1e6);
        expect(bw).toBeLessThan(5e9);
      }
    }
  });

  it.each(NETDEVS)('measures nuttcp, iperf3 and netperf through %s %s at a 10/100-class link', (mode, netdev) => {
    for (const direction of ['transmit', 'receive']) {
      const goodput = value('edgebench_nuttcp_goodput_bytes_per_second', { mode, netdev, direction });
      expect(goodput).toBeGreaterThan(5 * MBIT);
      expect(goodput).toBeLessThan(1000 * MBIT);
      for (const instances of instancesOf('iperf3')) {
        const throughput = value('edgebench_iperf3_throughput_bytes_per_second', { mode, netdev, direction, instances });
        expect(throughput).toBeGreaterThan(5 * MBIT);
        expect(throughput).toBeLessThan(1000 * MBIT);
      }
    }
    const tcp = value('edgebench_netperf_rtt_seconds', { mode, netdev, protocol: 'tcp' });
    expect(tcp).toBeGreaterThan(10e-6);
    expect(tcp).toBeLessThan(0.1);
    // UDP_RR does not retransmit: one datagram lost on the emulated link stalls a run until its end,
    // and its mean round trip becomes the run's length over the few exchanges before (seen here:
    // 168 ms mean, 234 ms stddev through veth). Bounded by the run, not by a link's latency.
    const udp = value('edgebench_netperf_rtt_seconds', { mode, netdev, protocol: 'udp' });
    expect(udp).toBeGreaterThan(10e-6);
    expect(udp).toBeLessThan(3);
  });

  it('reports which perf events the guest kernel counts, and exports no count for one it does not', () => {
    const support = Object.fromEntries(find('edgebench_perf_supported', { dut }).map((s) => [s.labels.event, s.value]));
    expect(Object.keys(support).sort()).toEqual(['L1-dcache-load-misses', 'branch-misses']);
    for (const [event, family] of [
      ['branch-misses', 'edgebench_perf_branch_misses'],
      ['L1-dcache-load-misses', 'edgebench_perf_l1_dcache_load_misses'],
    ] as const) {
      const counts = find(family, { dut });
      if (support[event] === 1) for (const c of counts) expect(c.value).toBeGreaterThan(0);
      else expect(counts).toEqual([]);
    }
  });

  it('measures what a container costs on the router: its start and stop, its memory cgroup (v2) and MemAvailable', () => {
    // measured here: a start of about 0.3 s, a stop of 2.2 s (busybox init's halt), 170 kB
    expect(value('edgebench_lxc_start_duration_seconds', {})).toBeGreaterThan(0.01);
    expect(value('edgebench_lxc_stop_duration_seconds', {})).toBeGreaterThan(0.01);
    expect(value('edgebench_lxc_cgroup_memory_bytes', {})).toBeGreaterThan(16 * 1024);
    expect(value('edgebench_lxc_cgroup_memory_bytes', {})).toBeLessThan(64 * 1024 * 1024);
    for (const state of ['stopped', 'running']) {
      const available = value('edgebench_lxc_memavailable_bytes', { state });
      expect(available).toBeGreaterThan(16 * 1024 * 1024);
      expect(available).toBeLessThan(256 * 1024 * 1024); // the guest has 256 MiB
    }
  });

  it('tears the lab down, QEMU included', () => {
    const qemuPid = Number(readFileSync(join(labRoot, name, 'qemu.pid'), 'utf8'));
    labDown(name);
    expect(existsSync(join(labRoot, name))).toBe(false);
    // a killed QEMU nobody reaps (PID 1 here does not) stays a zombie: only a live one counts
    expect(liveProcesses((_, p) => p.pid === qemuPid)).toEqual([]);
    expect(liveProcesses((c) => c.includes(`${labRoot}/${name}/`))).toEqual([]);
  });
});
