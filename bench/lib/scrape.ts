// Scraping as Prometheus does, for load: keep-alive HTTP GETs of /metrics, the whole body read,
// latency from request to last byte. And a process's resident memory, sampled while that runs.

import { readFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { quantile } from './report.js';

export interface LoadResult {
  latencies: number[];
  bytes: number;
  errors: number;
  /** The distinct error messages. */
  why: Set<string>;
}

function scrapeOnce(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    // as Prometheus asks (gzip if the exporter offers it), in the classic text format; the body is read
    // to its last byte, not decompressed
    const headers = { 'Accept-Encoding': 'gzip', Accept: 'text/plain;version=0.0.4' };
    const req = get(url, { agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => {
        bytes += d.length;
      });
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/**
 * `concurrency` scrapers started together, each scraping every `everyMs` (all aligned: each tick is
 * a burst of `concurrency` scrapes at once; a scrape that overruns its tick starts the next at once;
 * 0 = closed loop, again as soon as the last one ended), for `ms` and at least `minEach` times.
 */
export async function scrapeLoad(url: string, concurrency: number, everyMs: number, ms: number, minEach = 1): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const result: LoadResult = { latencies: [], bytes: 0, errors: 0, why: new Set() };
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < minEach || performance.now() < t0 + ms; i++) {
        const wait = t0 + i * everyMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const start = performance.now();
        try {
          const bytes = await scrapeOnce(url, agent);
          result.bytes += bytes;
          result.latencies.push(performance.now() - start);
        } catch (err) {
          result.errors += 1;
          result.why.add((err as Error).message);
        }
      }
    }),
  );
  agent.destroy();
  return result;
}

export const p = (r: LoadResult, q: number) => quantile(r.latencies, q);

/** Samples VmRSS of `pid` every `everyMs`; `stop` returns the peak seen and the kernel's own peak (VmHWM), in MB (10^6 bytes). */
export function rssSampler(pid: number, everyMs = 100) {
  let peak = 0;
  const read = (key: string) => {
    try {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? (Number(m[1]) * 1024) / 1e6 : 0;
    } catch {
      return 0;
    }
  };
  const timer = setInterval(() => {
    peak = Math.max(peak, read('VmRSS'));
  }, everyMs);
  return {
    now: () => read('VmRSS'),
    stop() {
      clearInterval(timer);
      return { peak: Math.max(peak, read('VmRSS')), hwm: read('VmHWM') };
    },
  };
}

/** Series in a text exposition: sample lines. */
export const seriesCount = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;

export interface Measured {
  series: number;
  /** The text exposition's length, uncompressed. */
  bytes: number;
  /** Per scrape on the wire (gzip when the exporter compresses). */
  wireBytes: number;
  /** One scraper alone: 10 scrapes after a warm-up. */
  alone: number[];
  /** `concurrency` scrapers every `everyMs`, in step. */
  load: LoadResult;
  /** `concurrency` scrapers, closed loop. */
  stress: LoadResult;
  rss: { peak: number; hwm: number };
  text: string;
}

/** The measurements of exporter-scale and metrics-render, in that order; RSS of `pid` throughout. */
export async function measure(url: string, pid: number, o: { concurrency: number; everyMs: number; seconds: number }): Promise<Measured> {
  const rss = rssSampler(pid);
  const text = await (await fetch(url)).text();
  const alone = (await scrapeLoad(url, 1, 0, 0, 11)).latencies.slice(1);
  const load = await scrapeLoad(url, o.concurrency, o.everyMs, o.seconds * 1000, 2);
  const stress = await scrapeLoad(url, o.concurrency, 0, o.seconds * 1000, 2);
  const wireBytes = load.bytes / Math.max(1, load.latencies.length);
  return { series: seriesCount(text), bytes: text.length, wireBytes, alone, load, stress, rss: rss.stop(), text };
}

export const MEASURED_HEADERS = (concurrency: number, everyMs: number) => [
  'series',
  'MB text',
  'MB wire',
  'RSS peak MB',
  'VmHWM MB',
  'alone p50 ms',
  'alone ms/1k series',
  `${concurrency} every ${everyMs} ms: p50 / p99 ms (n)`,
  `${concurrency} closed loop: p50 / p99 ms (n)`,
  'errors',
];

export function measuredRow(m: Measured): string[] {
  const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '-');
  const alone = quantile(m.alone, 0.5);
  return [
    String(m.series),
    f(m.bytes / 1e6, 2),
    f(m.wireBytes / 1e6, 2),
    f(m.rss.peak, 0),
    f(m.rss.hwm, 0),
    f(alone),
    f((alone / m.series) * 1000, 2),
    `${f(p(m.load, 0.5))} / ${f(p(m.load, 0.99))} (${m.load.latencies.length})`,
    `${f(p(m.stress, 0.5))} / ${f(p(m.stress, 0.99))} (${m.stress.latencies.length})`,
    m.load.errors + m.stress.errors === 0 ? '0' : `${m.load.errors + m.stress.errors}: ${[...m.load.why, ...m.stress.why].join(', ')}`,
  ];
}
