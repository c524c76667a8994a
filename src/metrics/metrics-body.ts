// /metrics as bytes, rendered when results change rather than at every scrape: at 500 DUTs that is
// 110k series, and rebuilding them per scrape queued 20 scrapers for seconds (bench/RESULTS.md).
// Each DUT's lines are rendered once per change of its results; a scrape joins the DUTs' buffers
// when anything changed since the last scrape and otherwise sends the last body, gzipped once.
import { promisify } from 'node:util';
import { gzip as gzipCallback, constants as zlib } from 'node:zlib';
import type { Registry } from 'prom-client';
import type { DutResults, ResultsStore } from '../engine/results.js';
import { dutFamilies } from './dut-families.js';

const gzip = promisify(gzipCallback);
const headers = dutFamilies.map((f) => Buffer.from(f.header));

interface Body {
  key: string;
  plain: Buffer;
  gzipped?: Promise<Buffer>;
}

export class MetricsBody {
  /** Per DUT, its lines of each family, as of one generation of its results. */
  private readonly rendered = new WeakMap<DutResults, { generation: number; families: Buffer[] }>();
  private last: Body | undefined;

  constructor(
    private readonly store: ResultsStore,
    /** The families not per DUT (build info, reload, journal), small: rendered by prom-client. */
    private readonly global: Registry,
  ) {}

  get contentType(): string {
    return this.global.contentType;
  }

  /** The current exposition; never half of a job, since the store only holds whole ones. */
  async get({ gzipped }: { gzipped: boolean }): Promise<Buffer> {
    const globalText = await this.global.metrics();
    // from here on synchronous: no job can complete between the key and the body
    let key = globalText;
    for (const [dut, state] of this.store.duts) key += `\0${dut}\0${state.generation}`;
    if (this.last?.key !== key) this.last = { key, plain: this.build(globalText) };
    const body = this.last;
    if (!gzipped) return body.plain;
    // deflated on libuv's thread pool, once per body, however many scrapers ask
    body.gzipped ??= gzip(body.plain, { level: zlib.Z_BEST_SPEED });
    return body.gzipped;
  }

  private build(globalText: string): Buffer {
    const duts = [...this.store.duts].map(([dut, state]) => this.families(dut, state));
    const parts: Buffer[] = [];
    headers.forEach((header, i) => {
      parts.push(header);
      for (const families of duts) parts.push(families[i] as Buffer);
    });
    parts.push(Buffer.from(globalText));
    return Buffer.concat(parts);
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
