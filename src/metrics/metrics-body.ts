// /metrics as bytes, rendered when results change rather than at every scrape: at 500 DUTs that is
// 110k series, and rebuilding them per scrape queued 20 scrapers for seconds (bench/RESULTS.md).
// Each DUT's lines are rendered once per change of its results, and a body (the DUTs' buffers
// joined, and gzipped once) is built when anything changed. A small body is built for the scrape
// that finds the change, so a small lab's scrape sees every change before it. A large one (tens of
// DUTs and more) is built in the background while scrapes get the last one, and not more often
// than its cost allows: /metrics stays fast however often results change.
import { promisify } from 'node:util';
import { gzip as gzipCallback, constants as zlib } from 'node:zlib';
import type { Registry } from 'prom-client';
import type { DutResults, ResultsStore } from '../engine/results.js';
import { dutFamilies } from './dut-families.js';

const gzip = promisify(gzipCallback);
const headers = dutFamilies.map((f) => Buffer.from(f.header));

/**
 * A body this large (about 45 full DUTs) is built off the scrape path… By size, not by build time:
 * a loaded machine makes any build slow, and a small lab must see every change at once.
 */
const BACKGROUND_BUILD_BYTES = 1 << 20;
/** …and serves until it is this many times its build time old: builds take at most 1/5 of the time. */
const BUILD_SHARE = 5;

interface Body {
  key: string;
  /** The plain text, as the DUTs' own buffers: never copied whole, except into `scratch`. */
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
  /** Where a body is joined for gzip, reused: one build at a time, and a new 11 MB each was garbage. */
  private scratch = Buffer.alloc(0);

  constructor(
    private readonly store: ResultsStore,
    /** The families not per DUT (build info, reload, journal), small: rendered by prom-client. */
    private readonly global: Registry,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get contentType(): string {
    return this.global.contentType;
  }

  /** The exposition, in chunks; never half of a job, since the store only holds whole ones. */
  async get({ gzipped }: { gzipped: boolean }): Promise<readonly Buffer[]> {
    const globalText = await this.global.metrics();
    // no string of every DUT's generation: at thousands of scrapes a second that was garbage
    const key = `${this.store.generation}\0${globalText}`;
    const last = this.last;
    let body: Body;
    if (last?.key === key) body = last;
    else if (last && last.bytes >= BACKGROUND_BUILD_BYTES) {
      if (!this.building && this.now() - last.builtAt >= last.buildMs * BUILD_SHARE) this.build(key, globalText).catch(() => {});
      body = last;
    } else body = await (this.building ?? this.build(key, globalText));
    return gzipped ? [body.gzipped] : body.plain;
  }

  private build(key: string, globalText: string): Promise<Body> {
    const started = this.now();
    const plain = this.parts(globalText);
    const size = plain.reduce((n, b) => n + b.length, 0);
    if (this.scratch.length < size) this.scratch = Buffer.allocUnsafe(Math.ceil(size * 1.25));
    let at = 0;
    for (const part of plain) at += part.copy(this.scratch, at);
    // deflated on libuv's thread pool, once per body, however many scrapers ask
    this.building = gzip(this.scratch.subarray(0, size), { level: zlib.Z_BEST_SPEED })
      .then((gzipped) => {
        const end = this.now();
        this.last = { key, plain, gzipped, builtAt: end, buildMs: end - started, bytes: size };
        return this.last;
      })
      .finally(() => {
        this.building = undefined;
      });
    return this.building;
  }

  /** Each family's header, then every DUT's lines of it: the text format wants a family whole. */
  private parts(globalText: string): Buffer[] {
    const duts = [...this.store.duts].map(([dut, state]) => this.families(dut, state));
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
