// /metrics as bytes, rendered when results change rather than at every scrape: at 500 DUTs that is
// 110k series, and rebuilding them per scrape queued 20 scrapers for seconds (bench/RESULTS.md).
// Each DUT's lines are rendered once per change of its results, and a body (the DUTs' buffers
// joined, and gzipped once) is built when anything changed. A small body is built for the scrape
// that finds the change, so a small lab's scrape sees every change before it. A large one (tens of
// DUTs and more) is built in the background while scrapes get the last one, and not more often
// than its cost allows: /metrics stays fast however often results change.
import type { Registry } from 'prom-client';
import type { DutResults, ResultsStore } from '../engine/results.js';
import { dutFamilies } from './dut-families.js';
import { GZIP_BATCH_BYTES, gzipParts } from './gzip-parts.js';

const headers = dutFamilies.map((f) => Buffer.from(f.header));

/**
 * A body this large (about 45 full DUTs) is built off the scrape path… By size, not by build time:
 * a loaded machine makes any build slow, and a small lab must see every change at once.
 */
const BACKGROUND_BUILD_BYTES = 1 << 20;
/** …and serves until it is this many times its build time old: builds take at most 1/5 of the time… */
const BUILD_SHARE = 5;
/**
 * …and at least this old: a scrape then sees a large lab at most about a second late, far inside any
 * scrape interval, and every build's garbage (new buffers, zlib's state and output) comes once a
 * second, not five times (bench/RESULTS.md: RSS under churn).
 */
const MIN_BACKGROUND_AGE_MS = 1000;
/** Rendering runs on the event loop at most this long before scrapes get their turn. */
const RENDER_SLICE_MS = 2;

/** The families not per DUT (build info, reload, journal): few, rendered by prom-client. */
export interface ExporterFamilies {
  registry: Registry;
  /** Their values, as a string that changes whenever one does: prom-client renders them only then. */
  state(): string;
}

interface Body {
  key: string;
  /** The plain text, as the DUTs' own buffers: never copied whole. */
  plain: readonly Buffer[];
  gzipped: Buffer;
  builtAt: number;
  /** Join plus gzip. */
  buildMs: number;
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
      if (!this.building && this.now() - last.builtAt >= Math.max(last.buildMs * BUILD_SHARE, MIN_BACKGROUND_AGE_MS))
        this.build(key, global.text, true).catch(() => {});
      body = last;
    } else {
      body = await (this.building ?? this.build(key, global.text));
      // that build started before this scrape: the next one, whoever starts it, has everything
      if (body.key !== key) body = await (this.building ?? this.build(key, global.text));
    }
    return gzipped ? [body.gzipped] : body.plain;
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
      const started = this.now();
      const plain = await this.parts(globalText);
      // deflated on libuv's thread pool, once per body, however many scrapers ask
      const gzipped = await gzipParts(plain, this.batch);
      const end = this.now();
      const bytes = plain.reduce((n, b) => n + b.length, 0);
      this.last = { key, plain, gzipped, builtAt: end, buildMs: end - started, bytes };
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
    const families = dutFamilies.map((f) => {
      const lines: string[] = [];
      f.render(dut, state, lines);
      return Buffer.from(lines.join(''));
    });
    this.rendered.set(state, { generation: state.generation, families });
    return families;
  }
}
