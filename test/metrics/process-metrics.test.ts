// process_* and nodejs_* (prom-client's default collectors) in /metrics: fresh at every scrape, while
// the cached body of the DUTs' families is neither built again nor copied for them.
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseExposition, seriesValue } from '../../harness/exposition.js';
import { ResultsStore } from '../../src/engine/results.js';
import { dutFamilies } from '../../src/metrics/dut-families.js';
import { MetricsBody, PER_SCRAPE_MAX_AGE_MS } from '../../src/metrics/metrics-body.js';
import { createMetrics } from '../../src/metrics/registry.js';

afterEach(() => vi.restoreAllMocks());

function store(...duts: string[]): ResultsStore {
  const s = new ResultsStore();
  for (const d of duts) {
    const state = s.dut(d);
    state.up = true;
    state.countJob('sysbench');
  }
  return s;
}

/** A MetricsBody whose per-scrape family's value is whatever `value` holds at the scrape. */
function withPerScrape(s: ResultsStore, now?: () => number) {
  const perScrape = new Registry();
  const at = { value: 0, collected: 0 };
  new Gauge({
    name: 'test_per_scrape',
    help: 'set at every scrape',
    registers: [perScrape],
    collect() {
      at.collected++;
      this.set(at.value);
    },
  });
  return { at, metrics: new MetricsBody(s, { registry: new Registry(), state: () => '', perScrape }, now) };
}

const plain = async (m: MetricsBody) => Buffer.concat(await m.get({ gzipped: false })).toString();
const gzipped = async (m: MetricsBody) => gunzipSync(Buffer.concat(await m.get({ gzipped: true }))).toString();
/** Long enough after the last scrape for the next to get a rendering of its own. */
const later = () => new Promise((resolve) => setTimeout(resolve, PER_SCRAPE_MAX_AGE_MS + 10));

describe('per-scrape families', () => {
  it('are rendered at every scrape, while the body is built once and handed out as the same buffers', async () => {
    const { at, metrics } = withPerScrape(store('a', 'b'));
    at.value = 1;
    const first = await metrics.get({ gzipped: false });
    expect(Buffer.concat(first).toString()).toContain('\ntest_per_scrape 1\n');
    const render = vi.spyOn(dutFamilies[0] as (typeof dutFamilies)[number], 'render');
    await later();
    at.value = 2;
    const second = await metrics.get({ gzipped: false });
    expect(Buffer.concat(second).toString()).toContain('\ntest_per_scrape 2\n');
    expect(render).not.toHaveBeenCalled();
    // the first chunk is the per-scrape text; every other one is the cached body's own buffer
    expect(second.length).toBe(first.length);
    for (let i = 1; i < first.length; i++) expect(second[i]).toBe(first[i]);
    expect(at.collected).toBe(2);
  });

  it('are rendered once for scrapes that come within PER_SCRAPE_MAX_AGE_MS, which share their answers', async () => {
    const { at, metrics } = withPerScrape(store('a'));
    await plain(metrics); // the body
    await later();
    at.collected = 0;
    at.value = 7;
    const together = await Promise.all([plain(metrics), gzipped(metrics), plain(metrics)]);
    expect(at.collected).toBe(1);
    for (const text of together) expect(text).toContain('\ntest_per_scrape 7\n');
    // the same chunk lists, not a copy of the body's chunk list per scrape
    expect(await metrics.get({ gzipped: false })).toBe(await metrics.get({ gzipped: false }));
    expect(await metrics.get({ gzipped: true })).toBe(await metrics.get({ gzipped: true }));
    expect(at.collected).toBe(1);
    await later();
    at.value = 8;
    expect(await plain(metrics)).toContain('\ntest_per_scrape 8\n');
    expect(at.collected).toBe(2);
  });

  it('are the same in the gzipped answer as in the plain one, and fresh there too', async () => {
    const { at, metrics } = withPerScrape(store('a', 'b'));
    at.value = 3;
    const text = await plain(metrics);
    expect(await gzipped(metrics)).toBe(text);
    await later();
    at.value = 4;
    expect(await gzipped(metrics)).toBe(text.replace('\ntest_per_scrape 3\n', '\ntest_per_scrape 4\n'));
  });

  it('are fresh while a large lab’s scrapes get the last body (its next one built later)', async () => {
    const s = store(...Array.from({ length: 3000 }, (_, i) => `dut-with-a-long-name-${i}`));
    const { at, metrics } = withPerScrape(s, () => 0); // the clock stands still: no body is old enough to replace
    at.value = 5;
    const before = await plain(metrics);
    expect(before.length).toBeGreaterThan(1 << 20); // built in the background from now on
    s.dut('dut-with-a-long-name-0').up = false;
    await later();
    at.value = 6;
    const after = await plain(metrics);
    expect(after).toContain('edgebench_dut_up{dut="dut-with-a-long-name-0"} 1\n'); // the last body…
    expect(after).toContain('\ntest_per_scrape 6\n'); // …with this scrape's values
  });

  it('are the process’s own in createMetrics, with the build’s revision and branch on build_info', async () => {
    const metrics = createMetrics({
      version: '9.9.9',
      revision: '0123456789abcdef0123456789abcdef01234567',
      branch: 'main',
      store: store('r1'),
      reload: { successful: true, lastSuccessAt: 1_700_000_000_000 },
      processMetrics: true,
    });
    const out = await plain(metrics);
    const samples = parseExposition(out);
    const rss = seriesValue(samples, 'process_resident_memory_bytes', {}) ?? 0;
    expect(rss / process.memoryUsage().rss).toBeGreaterThan(0.5);
    expect(rss / process.memoryUsage().rss).toBeLessThan(2);
    expect(seriesValue(samples, 'process_start_time_seconds', {})).toBeCloseTo(performance.timeOrigin / 1000, -1);
    for (const name of ['nodejs_heap_size_total_bytes', 'nodejs_eventloop_lag_seconds', 'process_cpu_seconds_total', 'process_open_fds'])
      expect(seriesValue(samples, name, {}), name).toBeGreaterThanOrEqual(0);
    expect(samples.find((s) => s.name === 'nodejs_version_info')?.labels.version).toBe(process.version);
    // gauges prom-client names like counters, which promtool reports: their families by type stay
    expect(samples.filter((s) => s.name === 'nodejs_active_handles').length).toBeGreaterThan(0);
    expect(out).not.toMatch(/^nodejs_active_(handles|requests|resources)_total/m);
    expect(out).toContain(
      `edgebench_exporter_build_info{version="9.9.9",node_version="${process.version}",revision="0123456789abcdef0123456789abcdef01234567",branch="main"} 1\n`,
    );
    expect(out).toContain('edgebench_dut_up{dut="r1"} 1\n');
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: out, encoding: 'utf8' });
    if (promtool.error) throw new Error(`promtool is needed (lab/install-deps.sh installs it): ${promtool.error.message}`);
    expect(promtool.stdout + promtool.stderr).toBe('');
    expect(promtool.status).toBe(0);
    // and without processMetrics, none of them (tests and benchmarks of the body alone)
    const bare = await plain(createMetrics({ version: '9.9.9', store: store('r1'), reload: { successful: true, lastSuccessAt: 0 } }));
    expect(bare).not.toMatch(/^(process|nodejs)_/m);
    expect(bare).toContain('revision="unknown",branch="unknown"');
  });
});
