// One round of every benchmark end to end: build a lab with its DUT link shaped to 100 Mbit/s,
// serve, wait for the round, read /metrics, check it with the real promtool, run every dashboard
// panel's query against a real Prometheus that scraped it with the shipped rules, and tear the lab
// down leaving nothing behind.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseExposition, type Sample } from '../../harness/exposition.js';
import { labDown, labNamespaces, labRoot, labUp, requireRoot } from '../../harness/lab.js';
import { freePort } from '../../harness/ports.js';
import { cli, repoRoot } from '../../harness/repo.js';
import { benchmarks } from '../../src/benchmarks/index.js';
import { samplesFamily, settledFamily } from '../../src/metrics/family-names.js';
import { panelQueries } from '../grafana/panel-queries.js';
import { dutSeries, NETDEVS } from '../helpers/exposition.js';
import { labName, liveProcesses, waitFor } from '../helpers/lab.js';
import { query, type Server, startPrometheus } from '../helpers/prometheus.js';
import { dropbears } from '../helpers/serve-process.js';

requireRoot('the end-to-end test');
const name = labName('e');
const dut = `lab-${name}`;
const work = mkdtempSync(join(tmpdir(), 'edgebench-e2e-'));
let serveProc: ChildProcess | undefined;
let metricsText = '';
let samples: Sample[] = [];
let serveLog = '';
let prometheus: Server | undefined;

/** The servers and clients a round starts, on the DUT or the TM: none may outlive its job. */
/**
 * Tools left in this lab's DUT or containers, or clients this exporter started on the TM (other
 * tests run their own labs and exporters at the same time, in the same process table).
 */
const benchmarkProcesses = () => {
  const namespaces = labNamespaces(name);
  const tool = /^(\S*\/)?(nuttcp|netserver|netperf|iperf3|perf|hpcc|mpirun|sysbench|stream|env) /;
  return liveProcesses((c, p) => tool.test(c) && (namespaces.has(p.netns) || p.ppid === serveProc?.pid));
};

beforeAll(async () => {
  const configPath = labUp(name, '--shape', '100mbit');
  const cfg = parse(readFileSync(configPath, 'utf8'));
  const port = await freePort();
  cfg.listen = `127.0.0.1:${port}`;
  cfg.schedule = { interval: '1h' };
  cfg.repetitions = 2;
  // short runs: the whole round in a few minutes
  Object.assign(cfg.duts[0].benchmarks, {
    sysbench: { instances: [1, 2, 4], events: 500 },
    linpack: { instances: [1, 2], n: 1000 },
    stream: cfg.duts[0].benchmarks.stream,
    nuttcp: { duration: '3s', perf: true },
    netperf: { duration: '2s' },
    iperf3: { instances: [1, 2], duration: '2s' },
  });
  const file = join(work, 'edgebench.yml');
  writeFileSync(file, stringify(cfg));

  const ruleFiles = ['edgebench-recording.yml', 'edgebench-alerts.yml'].map((f) => join(repoRoot, 'prometheus/rules', f));
  prometheus = await startPrometheus({ dir: join(work, 'prometheus'), target: `127.0.0.1:${port}`, ruleFiles });
  serveProc = spawn(process.execPath, [cli, 'serve', '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  serveProc.stderr?.on('data', (d) => {
    serveLog += d;
  });
  metricsText = await waitFor('the first round in /metrics', 600_000, async () => {
    if (serveProc?.exitCode !== null) throw new Error(`edgebench serve exited: ${serveLog}`);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return text.includes('edgebench_round_last_completion_timestamp_seconds{') ? text : undefined;
  });
  samples = parseExposition(metricsText);
  writeFileSync(join(work, 'metrics.txt'), metricsText);
  writeFileSync(join(work, 'serve.log'), serveLog);
}, 700_000);

afterAll(() => {
  serveProc?.kill('SIGKILL');
  prometheus?.stop();
  labDown(name); // idempotent: the last test already tore it down unless something failed before it
});

const { find, value } = dutSeries(() => samples, dut, `${work}/metrics.txt`);
const MBIT = 1e6 / 8;

describe(`edgebench serve against lab ${name}`, () => {
  it('ran every job of the round without a failure', () => {
    const failures = find('edgebench_benchmark_failures_total', { dut }).filter((s) => s.value !== 0);
    expect(
      failures,
      serveLog
        .split('\n')
        .filter((l) => l.includes('job failed'))
        .join('\n'),
    ).toEqual([]);
    const runs = Object.fromEntries(find('edgebench_benchmark_runs_total', { dut }).map((s) => [s.labels.benchmark, s.value]));
    expect(runs).toEqual({ sysbench: 6, linpack: 4, stream: 4, nuttcp: 6, netperf: 6, iperf3: 12, lxc_startup: 1 });
  });

  it.each([
    ['native', '1'],
    ['native', '2'],
    ['native', '4'],
    ['lxc', '1'],
    ['lxc', '2'],
    ['lxc', '4'],
  ])('exports the sysbench time for %s with %s instance(s), and its stddev', (mode, instances) => {
    expect(value('edgebench_sysbench_cpu_duration_seconds', { mode, instances })).toBeGreaterThan(0.01);
    expect(value('edgebench_sysbench_cpu_duration_seconds', { mode, instances })).toBeLessThan(120);
    expect(value('edgebench_sysbench_cpu_duration_stddev_seconds', { mode, instances })).toBeGreaterThanOrEqual(0);
  });

  it.each([
    ['native', '1'],
    ['native', '2'],
    ['lxc', '1'],
    ['lxc', '2'],
  ])('exports Linpack FLOP/s per instance for %s with %s instance(s)', (mode, instances) => {
    // Debian's hpcc on reference BLAS: a few GFLOP/s on one core, less when two share it
    expect(value('edgebench_linpack_flops', { mode, instances })).toBeGreaterThan(1e8);
    expect(value('edgebench_linpack_flops', { mode, instances })).toBeLessThan(1e11);
  });

  it.each([
    ['stream', 'copy'],
    ['stream', 'scale'],
    ['stream', 'add'],
    ['stream', 'triad'],
    ['stream2', 'fill'],
    ['stream2', 'copy'],
    ['stream2', 'daxpy'],
    ['stream2', 'sum'],
  ])('exports %s %s bandwidth, native and lxc', (suite, kernel) => {
    for (const mode of ['native', 'lxc']) {
      // main memory of a current x86 host: between 0.5 and 200 GB/s
      expect(value('edgebench_stream_bandwidth_bytes_per_second', { mode, suite, kernel })).toBeGreaterThan(5e8);
      expect(value('edgebench_stream_bandwidth_bytes_per_second', { mode, suite, kernel })).toBeLessThan(2e11);
    }
  });

  it.each(NETDEVS)('exports nuttcp goodput through %s %s at the shaped 100 Mbit/s, both directions', (mode, netdev) => {
    for (const direction of ['transmit', 'receive']) {
      const goodput = value('edgebench_nuttcp_goodput_bytes_per_second', { mode, netdev, direction });
      expect(goodput).toBeGreaterThan(85 * MBIT);
      expect(goodput).toBeLessThan(100 * MBIT);
    }
  });

  it.each(NETDEVS)('exports iperf3 aggregate throughput through %s %s, 1 and 2 instances, both directions', (mode, netdev) => {
    for (const direction of ['transmit', 'receive']) {
      for (const instances of ['1', '2']) {
        const throughput = value('edgebench_iperf3_throughput_bytes_per_second', { mode, netdev, direction, instances });
        // 2 s tests: the token bucket's initial burst shows, so a little above the rate is fine
        expect(throughput).toBeGreaterThan(80 * MBIT);
        expect(throughput).toBeLessThan(105 * MBIT);
      }
    }
  });

  it.each(NETDEVS)('exports netperf TCP and UDP round-trip latency through %s %s', (mode, netdev) => {
    for (const protocol of ['tcp', 'udp']) {
      const rtt = value('edgebench_netperf_rtt_seconds', { mode, netdev, protocol });
      expect(rtt).toBeGreaterThan(1e-6);
      expect(rtt).toBeLessThan(0.05);
    }
  });

  it('exports perf support per event, and no count for an event the kernel does not count (never 0)', () => {
    const support = Object.fromEntries(find('edgebench_perf_supported', { dut }).map((s) => [s.labels.event, s.value]));
    expect(Object.keys(support).sort()).toEqual(['L1-dcache-load-misses', 'branch-misses']);
    for (const [event, family] of [
      ['branch-misses', 'edgebench_perf_branch_misses'],
      ['L1-dcache-load-misses', 'edgebench_perf_l1_dcache_load_misses'],
    ] as const) {
      expect(metricsText).toContain(`# TYPE ${family} gauge`);
      const counts = find(family, { dut });
      if (support[event] === 1) {
        expect(counts.length).toBe(6);
        for (const c of counts) expect(c.value).toBeGreaterThan(0);
      } else {
        expect(counts).toEqual([]);
      }
    }
  });

  it('leaves no server, client or tool running after the round, and no SSH session either', async () => {
    expect(benchmarkProcesses()).toEqual([]);
    // the connection closes once the round is over: only the lab's dropbear listener is left
    await waitFor('the SSH session to end', 10_000, async () => (dropbears(name).length === 1 ? true : undefined));
  });

  it('exports the bookkeeping families of a successful round', () => {
    expect(find('edgebench_dut_up', { dut })[0]?.value).toBe(1);
    expect(find('edgebench_dut_info', { dut })[0]?.labels).toMatchObject({
      arch: expect.any(String),
      release: expect.stringMatching(/^\d+\.\d+/),
      lxc_version: expect.stringMatching(/^\d/),
    });
    expect(find('edgebench_dut_info', { dut })[0]?.labels.kernel).toBeUndefined();
    const groups = [
      ...['sysbench', 'linpack', 'stream'].flatMap((benchmark) => ['native', 'lxc'].map((mode) => ({ benchmark, mode, netdev: '' }))),
      ...['nuttcp', 'netperf', 'iperf3'].flatMap((benchmark) => NETDEVS.map(([mode, netdev]) => ({ benchmark, mode, netdev }))),
      { benchmark: 'lxc_startup', mode: 'lxc', netdev: '' },
    ];
    for (const labels of groups) {
      expect(value('edgebench_benchmark_success', labels)).toBe(1);
      expect(value('edgebench_benchmark_repetitions', labels)).toBe(2);
      expect(value('edgebench_benchmark_duration_seconds', labels)).toBeGreaterThan(0);
      expect(value('edgebench_benchmark_last_success_timestamp_seconds', labels)).toBeGreaterThan(1.7e9);
    }
    expect(find('edgebench_benchmark_success', { dut }).length).toBe(groups.length);
    expect(find('edgebench_round_duration_seconds', { dut })[0]?.value).toBeGreaterThan(0);
    expect(find('edgebench_round_interval_seconds', { dut })[0]?.value).toBe(3600); // schedule.interval: 1h
    expect(find('edgebench_exporter_build_info')[0]?.labels.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(find('edgebench_config_last_reload_successful')[0]?.value).toBe(1);
  });

  it('exposes every family of the metric contract in docs/metrics.md', () => {
    const results = [
      'edgebench_sysbench_cpu_duration_seconds',
      'edgebench_linpack_flops',
      'edgebench_nuttcp_goodput_bytes_per_second',
      'edgebench_netperf_rtt_seconds',
      'edgebench_iperf3_throughput_bytes_per_second',
      'edgebench_stream_bandwidth_bytes_per_second',
      'edgebench_perf_branch_misses',
      'edgebench_perf_l1_dcache_load_misses',
    ];
    const bookkeeping = [
      'edgebench_dut_up',
      'edgebench_dut_info',
      'edgebench_perf_supported',
      'edgebench_benchmark_success',
      'edgebench_benchmark_last_success_timestamp_seconds',
      'edgebench_benchmark_duration_seconds',
      'edgebench_benchmark_repetitions',
      'edgebench_benchmark_runs_total',
      'edgebench_benchmark_failures_total',
      'edgebench_round_duration_seconds',
      'edgebench_round_last_completion_timestamp_seconds',
      'edgebench_round_interval_seconds',
      'edgebench_exporter_build_info',
      'edgebench_config_last_reload_successful',
      'edgebench_config_last_reload_success_timestamp_seconds',
    ];
    const typed = [...metricsText.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    // the unit last: `_stddev` before it (docs/metrics.md, "Renamed in this version")
    const stddevs = [
      'edgebench_sysbench_cpu_duration_stddev_seconds',
      'edgebench_linpack_stddev_flops',
      'edgebench_nuttcp_goodput_stddev_bytes_per_second',
      'edgebench_netperf_rtt_stddev_seconds',
      'edgebench_iperf3_throughput_stddev_bytes_per_second',
      'edgebench_stream_bandwidth_stddev_bytes_per_second',
      'edgebench_perf_branch_misses_stddev',
      'edgebench_perf_l1_dcache_load_misses_stddev',
    ];
    for (const family of [...results, ...stddevs, ...bookkeeping]) {
      expect(typed, family).toContain(family);
    }
  });

  it('publishes every result series with how many values it is over and whether it settled, and what produced it', () => {
    const families = benchmarks.flatMap((b) => b.families.map((f) => f.name));
    const series = samples.filter((s) => families.includes(s.name) && s.labels.dut === dut);
    expect(series.length).toBeGreaterThan(30);
    for (const s of series) {
      const labels = s.labels;
      // 2 repetitions (the test's fixed count); sysbench and Linpack give one value per instance,
      // iperf3 the sum of its instances
      const perRepetition = /sysbench|linpack/.test(s.name) ? Number(labels.instances) : 1;
      expect(value(samplesFamily(s.name), labels), `${s.name} ${JSON.stringify(labels)}`).toBe(2 * perRepetition);
      // a fixed count of repetitions has no spread to reach: settled
      expect(value(settledFamily(s.name), labels), `${s.name} ${JSON.stringify(labels)}`).toBe(1);
    }
    const info = find('edgebench_benchmark_info', { dut });
    expect(info.map((s) => s.labels.benchmark).sort()).toEqual(benchmarks.map((b) => b.name).sort());
    for (const s of info) {
      expect(s.labels.config_hash, s.labels.benchmark).toMatch(/^[0-9a-f]{12}$/);
      const flag = benchmarks.find((b) => b.name === s.labels.benchmark)?.versionFlag;
      if (flag) expect(s.labels.tool_version, s.labels.benchmark).not.toBe('');
    }
  });

  describe('every dashboard panel query, run by a real Prometheus that scraped the round with the shipped rules', () => {
    beforeAll(async () => {
      // scrapes after the round's end (its bookkeeping is written then), and rule evaluations on them
      await waitFor('two scrapes of the completed round in Prometheus', 60_000, async () => {
        const r = await query(prometheus?.url as string, `count_over_time(edgebench_round_duration_seconds{dut="${dut}"}[1m])`);
        return r.some((x) => Number(x.value[1]) >= 2) ? true : undefined;
      });
      await new Promise((r) => setTimeout(r, 4_000));
    }, 90_000);

    it.each(panelQueries().map((q) => [`${q.dashboard} / ${q.panel} / ${q.refId}`, q] as const))('%s returns data', async (_, q) => {
      const result = await query(prometheus?.url as string, q.expr);
      // perf counts are absent where the kernel does not count the events (this VM): then, and only then, no data
      const countsPerf = find('edgebench_perf_supported', { dut }).some((s) => s.value === 1);
      if (q.needsPerfCounters && !countsPerf) expect(result).toEqual([]);
      else expect(result.length, q.expr).toBeGreaterThan(0);
    });
  });

  it('passes promtool check metrics with nothing to report', () => {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: metricsText, encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect({ status: r.status, output: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, output: '' });
  });

  it('stops within seconds on SIGTERM', async () => {
    const proc = serveProc as ChildProcess;
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('tears the lab down, leaving no namespace, link, state or process', () => {
    labDown(name);
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toMatch(new RegExp(`\\beb-${name}\\b`));
    expect(spawnSync('ip', ['link', 'show', `eb-${name}`]).status).not.toBe(0);
    expect(existsSync(join(labRoot, name))).toBe(false);
    expect(liveProcesses((c) => c.includes(`${labRoot}/${name}`))).toEqual([]);
    expect(existsSync('/usr/bin/sysbench')).toBe(true); // the containers bind-mounted /usr: it is still there
  });
});
