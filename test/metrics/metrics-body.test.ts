import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseExposition, seriesValue } from '../../harness/exposition.js';
import { type DutResults, ResultsStore } from '../../src/engine/results.js';
import { createApp } from '../../src/http/app.js';
import { dutFamilies } from '../../src/metrics/dut-families.js';
import { MetricsBody, minBackgroundAgeMs } from '../../src/metrics/metrics-body.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { curl, request, serve, stop } from '../http/client.js';

const root = join(import.meta.dirname, '../..');

function fill(state: DutResults, copy: number): void {
  state.up = true;
  state.info = { arch: 'aarch64', kernel: '6.1.0', os: 'OpenWrt "23.05"', lxcVersion: '5.0.2' };
  state.publish({
    family: 'edgebench_stream_bandwidth_bytes_per_second',
    labels: { mode: 'lxc', suite: 'stream', kernel: 'copy' },
    stats: { mean: copy, stddev: 0.5, count: 3 },
    repetitions: 3,
    settled: true,
    rsdPercent: 0,
    completedAt: 1_700_000_000_000,
  });
  state.recordRun({
    benchmark: 'stream',
    mode: 'lxc',
    netdev: '',
    success: true,
    lastSuccessAt: 1_700_000_000_000,
    durationSeconds: 2.5,
    repetitions: 3,
  });
  state.countJob('stream');
  state.countJob('stream', 'timeout');
  state.perfSupported.set('branch-misses', false);
  state.roundDurationSeconds = 12.25;
  state.roundCompletedAt = 1_700_000_001_000;
  state.roundIntervalSeconds = 7200;
}

function lab(...duts: string[]) {
  const store = new ResultsStore();
  for (const [i, dut] of duts.entries()) fill(store.dut(dut), 1e9 + i);
  const reload = { successful: true, lastSuccessAt: 1_700_000_000_000 };
  return { store, reload, metrics: createMetrics({ version: '9.9.9', store, reload, journalWriteErrors: () => 2 }) };
}

const text = async (m: ReturnType<typeof lab>['metrics']) => Buffer.concat(await m.get({ gzipped: false })).toString();

afterEach(() => vi.restoreAllMocks());

describe('MetricsBody', () => {
  it('writes every family of the contract with the HELP and TYPE edgebench always had', async () => {
    const out = await text(lab('r1').metrics);
    // the fixture is /metrics of a real round (test/fixtures/exposition/CAPTURE.md); its process_*
    // and nodejs_* families are per scrape, outside MetricsBody (process-metrics.test.ts)
    const fixture = readFileSync(join(root, 'test/fixtures/exposition/round.prom'), 'utf8');
    const headers = fixture.split('\n').filter((l) => /^# (HELP|TYPE) edgebench_/.test(l));
    expect(headers.length).toBeGreaterThan(50);
    for (const header of headers) expect(out.split('\n')).toContain(header);
  });

  it('writes the sample lines, escaped, that promtool accepts', async () => {
    const out = await text(lab('r1', 'pi "4"\\b').metrics);
    expect(out).toContain('edgebench_stream_bandwidth_bytes_per_second{dut="r1",mode="lxc",suite="stream",kernel="copy"} 1000000000\n');
    expect(out).toContain('edgebench_dut_info{dut="r1",arch="aarch64",release="6.1.0",os="OpenWrt \\"23.05\\"",lxc_version="5.0.2"} 1\n');
    expect(out).toContain('edgebench_dut_up{dut="pi \\"4\\"\\\\b"} 1\n');
    expect(out).toContain('edgebench_benchmark_failures_total{dut="r1",benchmark="stream",reason="timeout"} 1\n');
    expect(out).toContain('edgebench_benchmark_failures_total{dut="r1",benchmark="stream",reason="parse"} 0\n');
    expect(out).toContain('edgebench_round_last_completion_timestamp_seconds{dut="r1"} 1700000001\n');
    expect(out).toContain('edgebench_round_interval_seconds{dut="r1"} 7200\n');
    expect(out).toContain('edgebench_exporter_build_info{version="9.9.9",node_version=');
    expect(out).toContain('edgebench_journal_write_errors_total 2\n');
    const samples = parseExposition(out);
    expect(seriesValue(samples, 'edgebench_stream_bandwidth_stddev_bytes_per_second', { dut: 'r1', kernel: 'copy' })).toBe(0.5);
    expect(seriesValue(samples, 'edgebench_perf_supported', { dut: 'r1', event: 'branch-misses' })).toBe(0);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: out, encoding: 'utf8' });
    if (promtool.error) throw new Error(`promtool is needed (lab/install-deps.sh installs it): ${promtool.error.message}`);
    expect(promtool.stdout + promtool.stderr).toBe('');
    expect(promtool.status).toBe(0);
  });

  it('groups each family’s samples of all DUTs under one header', async () => {
    const out = await text(lab('a', 'b', 'c').metrics);
    const families = out.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(families).size).toBe(families.length);
    const up = out.split('\n').filter((l) => l.startsWith('edgebench_dut_up'));
    expect(up).toEqual(['edgebench_dut_up{dut="a"} 1', 'edgebench_dut_up{dut="b"} 1', 'edgebench_dut_up{dut="c"} 1']);
  });

  it('renders a DUT again only when its results changed, and reuses the body while nothing did', async () => {
    const { store, metrics } = lab('a', 'b');
    const first = await metrics.get({ gzipped: false });
    expect(await metrics.get({ gzipped: false })).toBe(first);

    const render = vi.spyOn(dutFamilies[0] as (typeof dutFamilies)[number], 'render');
    store.dut('b').up = false;
    const second = Buffer.concat(await metrics.get({ gzipped: false })).toString();
    expect(render.mock.calls.map((c) => c[0])).toEqual(['b']);
    expect(second).toContain('edgebench_dut_up{dut="b"} 0\n');
    expect(second).toContain('edgebench_dut_up{dut="a"} 1\n');

    // every kind of write counts: a map entry, a counter, a removed DUT
    store.dut('a').perfSupported.set('L1-dcache-load-misses', true);
    expect(Buffer.concat(await metrics.get({ gzipped: false })).toString()).toContain(
      'edgebench_perf_supported{dut="a",event="L1-dcache-load-misses"} 1\n',
    );
    store.dut('a').countJob('stream', 'parse');
    expect(Buffer.concat(await metrics.get({ gzipped: false })).toString()).toContain('reason="parse"} 1\n');
    store.retain(new Set(['a']));
    expect(Buffer.concat(await metrics.get({ gzipped: false })).toString()).not.toContain('dut="b"');
  });

  it.each([
    [800, 'once a second'],
    [3000, 'once per second and 2.5 MB'],
  ])('builds a large body in the background, serving the last meanwhile (%i DUTs: %s)', async (duts) => {
    const store = new ResultsStore();
    // over 1 MiB of text: 'a' and enough DUTs like it
    for (let i = 0; i < duts; i++) fill(store.dut(i === 0 ? 'a' : `d${i}`), i);
    let t = 0;
    const metrics = new MetricsBody(store, { registry: new Registry(), state: () => '' }, () => t);
    const text = async () => Buffer.concat(await metrics.get({ gzipped: false })).toString();
    const up = async () => /edgebench_dut_up\{dut="a"\} (\d)/.exec(await text())?.[1];
    const bytes = (await text()).length; // the first body: built for this scrape, at t = 0
    expect(bytes).toBeGreaterThan(1 << 20);
    const age = minBackgroundAgeMs(bytes);
    expect(age).toBe(Math.max(1000, bytes / 2500));
    if (duts > 800) expect(age).toBeGreaterThan(1000);
    store.dut('a').up = false;
    t = age - 1;
    expect(await up()).toBe('1'); // too young: no build…
    await new Promise((resolve) => setTimeout(resolve, 300)); // …which would be done by now
    t = age;
    expect(await up()).toBe('1'); // old enough: a build starts, this scrape gets the last body
    await vi.waitFor(async () => expect(await up()).toBe('0'), { timeout: 5000 });
  });

  it('shows a small lab every change at once, however slow the machine makes its builds', async () => {
    const store = new ResultsStore();
    fill(store.dut('a'), 1);
    const metrics = new MetricsBody(
      store,
      { registry: new Registry(), state: () => '' },
      (() => {
        let t = 0;
        return () => (t += 1000); // every reading a second later: each body looks a second old
      })(),
    );
    const up = async () => /edgebench_dut_up\{dut="a"\} (\d)/.exec(Buffer.concat(await metrics.get({ gzipped: false })).toString())?.[1];
    expect(await up()).toBe('1');
    store.dut('a').up = false;
    expect(await up()).toBe('0');
  });

  it('follows the exporter’s own families without a DUT changing', async () => {
    const { reload, metrics } = lab('a');
    expect(await text(metrics)).toContain('edgebench_config_last_reload_successful 1\n');
    reload.successful = false;
    expect(await text(metrics)).toContain('edgebench_config_last_reload_successful 0\n');
  });

  it('gzips the same body once for every scraper that asks', async () => {
    const { metrics } = lab('a', 'b');
    const [g1, g2] = await Promise.all([metrics.get({ gzipped: true }), metrics.get({ gzipped: true })]);
    expect(g1).toHaveLength(1);
    expect(g2[0]).toBe(g1[0]);
    expect(gunzipSync(g1[0] as Buffer).equals(Buffer.concat(await metrics.get({ gzipped: false })))).toBe(true);
  });

  it('is served gzipped to a client that asks, as Prometheus does, and plain to one that does not', async () => {
    const { metrics } = lab('a', 'b');
    const plain = Buffer.concat(await metrics.get({ gzipped: false })).toString();
    const running = await serve(undefined, createApp({ metrics, isReady: () => true, log: pino({ level: 'silent' }) }));
    try {
      const asked = await curl(['--compressed', '-D', '-', running.url('/metrics')]);
      expect(asked.status).toBe(200);
      expect(asked.body).toMatch(/^content-encoding: gzip\r$/im);
      expect(asked.body).toMatch(/^vary: Accept-Encoding\r$/im);
      expect(asked.body.slice(asked.body.indexOf('\r\n\r\n') + 4)).toBe(plain);
      const notAsked = await request(running.url('/metrics'));
      expect(notAsked.headers['content-encoding']).toBeUndefined();
      expect(notAsked.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(notAsked.body).toBe(plain);
      expect(notAsked.headers['content-length']).toBe(String(Buffer.byteLength(plain)));
      const head = await request(running.url('/metrics'), { method: 'HEAD' });
      expect([head.status, head.headers['content-length'], head.body]).toEqual([200, String(Buffer.byteLength(plain)), '']);
    } finally {
      await stop(running);
    }
  });
});
