// /metrics as bytes, rendered when results change rather than at every scrape: at 500 DUTs that is
// 110k series, and rebuilding them per scrape queued 20 scrapers for seconds (bench/RESULTS.md).
// Each DUT's lines are rendered once per change of its results, and a body (the DUTs' buffers
// joined, and gzipped once) is built when anything changed. A small body is built for the scrape
// that finds the change, so a small lab's scrape sees every change before it. A large one (tens of
// DUTs and more) is built in the background while scrapes get the last one, and not more often
// than its size allows: /metrics stays fast however often results change. The process's own families
// (CPU, memory, event loop), which change all the time, are rendered for the scrapes (at most 100 ms
// old) and put in front of that body, which they never make stale.
import type { Registry } from 'prom-client';
import type { DutResults, ResultsStore } from '../engine/results.js';
import { dutFamilies } from './dut-families.js';
import { GZIP_BATCH_BYTES, gzipParts } from './gzip-parts.js';
import { gzipPrepend } from './gzip-prepend.js';

const headers = dutFamilies.map((f) => Buffer.from(f.header));

/**
 * A body this large (about 45 full DUTs) is built off the scrape path… By size, not by build time:
 * a loaded machine makes any build slow, and a small lab must see every change at once.
 */
const BACKGROUND_BUILD_BYTES = 1 << 20;
/**
 * …once the last one is this old: a second, and a second per 2.5 MB of text (4.6 s at 500 DUTs).
 * A scrape then sees a large lab a few seconds late at most, far inside any scrape interval;
 * building (mostly gzip, about 4 ms per MB here) takes about 1% of a core; and even a lab whose
 * every DUT changes makes at most 2.5 MB/s of garbage (re-rendered DUTs, gzip output), which V8
 * frees late (bench/RESULTS.md, RSS). By size, not by measured build time: with hundreds of SSH
 * sessions busy, a build's wall time is mostly waiting, and a rule on it held a 500-DUT body back
 * for tens of seconds.
 */
export const minBackgroundAgeMs = (bytes: number) => Math.max(1000, bytes / 2_500);
/** Rendering runs on the event loop at most this long before scrapes get their turn. */
const RENDER_SLICE_MS = 2;
/**
 * The per-scrape families are rendered again for a scrape that comes this long after their last
 * rendering; scrapes closer together share it. With 500 SSH connections one rendering costs 2-4 ms
 * (prom-client lists /proc/self/fd and every handle, and walks the event loop delay histogram) and,
 * with the chunk list joined to it, about 0.3 MB of garbage: rendered for every scrape, 20 scrapers
 * in a closed loop raised the exporter's peak RSS from 191 to 237 MB (bench/exporter-scale.ts).
 * 100 ms old is fresh for any scrape interval.
 */
export const PER_SCRAPE_MAX_AGE_MS = 100;

/** The families not per DUT (build info, reload, journal): few, rendered by prom-client. */
export interface ExporterFamilies {
  registry: Registry;
  /** Their values, as a string that changes whenever one does: prom-client renders them only then. */
  state(): string;
  /**
   * Families whose values change all the time (process_*, nodejs_*): rendered by prom-client for the
   * scrapes (at most PER_SCRAPE_MAX_AGE_MS old), ahead of the body, which is not built again for them.
   */
  perScrape?: Registry;
}

interface LiveFamilies {
  renderedAt: number;
  text: Promise<Buffer>;
  plain?: { body: Body; chunks: readonly Buffer[] };
  gzipped?: { body: Body; chunks: readonly Buffer[] };
}

interface Body {
  key: string;
  /** The plain text, as the DUTs' own buffers: never copied whole. */
  plain: readonly Buffer[];
  gzipped: Buffer;
  builtAt: number;
  bytes: number;
}

export class MetricsBody {
  /** Per DUT, its lines of each family, as of one generation of its results. */
  private readonly rendered = new WeakMap<DutResults, { generation: number; families: Buffer[] }>();
  private last: Body | undefined;
  private building: Promise<Body> | undefined;
  /** gzip's batch buffer, reused: one build at a time. */
  private readonly batch = Buffer.allocUnsafe(GZIP_BATCH_BYTES);
  private global: { state: string; text: string } | undefined;
  /** The per-scrape families' last rendering, and the answers made of it with a body (shared, never changed). */
  private live: LiveFamilies | undefined;

  constructor(
    private readonly store: ResultsStore,
    private readonly exporter: ExporterFamilies,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get contentType(): string {
    return this.exporter.registry.contentType;
  }

  /** The exposition, in chunks; never half of a job, since the store only holds whole ones. */
  async get({ gzipped }: { gzipped: boolean }): Promise<readonly Buffer[]> {
    const global = await this.globalFamilies();
    // short: no string of every DUT's generation, nor the exporter's text (garbage at every scrape)
    const key = `${this.store.generation} ${global.state}`;
    const last = this.last;
    let body: Body;
    if (last?.key === key) body = last;
    else if (last && last.bytes >= BACKGROUND_BUILD_BYTES) {
      if (!this.building && this.now() - last.builtAt >= minBackgroundAgeMs(last.bytes)) this.build(key, global.text, true).catch(() => {});
      body = last;
    } else {
      body = await (this.building ?? this.build(key, global.text));
      // that build started before this scrape: the next one, whoever starts it, has everything
      if (body.key !== key) body = await (this.building ?? this.build(key, global.text));
    }
    if (!this.exporter.perScrape) return gzipped ? [body.gzipped] : body.plain;
    // after the body, so as fresh as the answer
    const live = this.liveFamilies(this.exporter.perScrape);
    const text = await live.text;
    if (gzipped) {
      // a few kB deflated in front of the body's own deflate blocks: gzipping the body again would take ms per MB
      if (live.gzipped?.body !== body) live.gzipped = { body, chunks: gzipPrepend(text, body.gzipped) };
      return live.gzipped.chunks;
    }
    if (live.plain?.body !== body) live.plain = { body, chunks: ([text] as Buffer[]).concat(body.plain) };
    return live.plain.chunks;
  }

  private liveFamilies(registry: Registry): LiveFamilies {
    const now = performance.now();
    if (this.live && now - this.live.renderedAt < PER_SCRAPE_MAX_AGE_MS) return this.live;
    const live: LiveFamilies = {
      renderedAt: now,
      text: registry.metrics().then(
        (text) => Buffer.from(text),
        (err: unknown) => {
          if (this.live === live) this.live = undefined; // the next scrape tries again
          throw err;
        },
      ),
    };
    this.live = live;
    return live;
  }

  /** The exporter's own families, rendered by prom-client again only when their state changed. */
  private async globalFamilies(): Promise<{ state: string; text: string }> {
    const state = this.exporter.state();
    if (this.global?.state !== state) this.global = { state, text: await this.exporter.registry.metrics() };
    return this.global;
  }

  /** `later`: a background build starts after the scrapes already read, so none of them waits for it. */
  private build(key: string, globalText: string, later = false): Promise<Body> {
    this.building = (async () => {
      if (later) await new Promise((resolve) => setImmediate(resolve));
      const plain = await this.parts(globalText);
      // deflated on libuv's thread pool, once per body, however many scrapers ask
      const gzipped = await gzipParts(plain, this.batch);
      const bytes = plain.reduce((n, b) => n + b.length, 0);
      this.last = { key, plain, gzipped, builtAt: this.now(), bytes };
      return this.last;
    })().finally(() => {
      this.building = undefined;
    });
    return this.building;
  }

  /**
   * Each family's header, then every DUT's lines of it: the text format wants a family whole. DUTs
   * that changed are rendered again (about 0.5 ms each at a full result set), a few at a time: a
   * round's end changes many at once, and scrapes are served in between.
   */
  private async parts(globalText: string): Promise<Buffer[]> {
    const duts: Buffer[][] = [];
    let since = performance.now();
    for (const [dut, state] of [...this.store.duts]) {
      duts.push(this.families(dut, state));
      if (performance.now() - since < RENDER_SLICE_MS) continue;
      await new Promise((resolve) => setImmediate(resolve));
      since = performance.now();
    }
    const parts: Buffer[] = [];
    headers.forEach((header, i) => {
      parts.push(header);
      for (const families of duts) {
        const lines = families[i] as Buffer;
        if (lines.length > 0) parts.push(lines);
      }
    });
    parts.push(Buffer.from(globalText));
    return parts;
  }

  private families(dut: string, state: DutResults): Buffer[] {
    const cached = this.rendered.get(state);
    if (cached?.generation === state.generation) return cached.families;
    const texts = dutFamilies.map((f) => {
      const lines: string[] = [];
      f.render(dut, state, lines);
      return lines.join('');
    });
    // one buffer per DUT, each family a view of it: it dies whole when the DUT changes, where
    // Buffer.from per family filled 8 KB pool slabs shared with other DUTs, which a single live
    // family kept alive
    const all = Buffer.from(texts.join(''));
    let at = 0;
    const families = texts.map((text) => {
      const end = at + Buffer.byteLength(text);
      const view = all.subarray(at, end);
      at = end;
      return view;
    });
    this.rendered.set(state, { generation: state.generation, families });
    return families;
  }
}
