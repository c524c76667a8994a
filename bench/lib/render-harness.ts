// A child process for metrics-render.ts: DUTS copies of one DUT snapshot restored into edgebench's
// ResultsStore (built modules from dist/), served on PORT at /metrics by plain node:http, either by
// the shipped registry (MODE registry: prom-client, every family recomputed at each scrape, no
// compression, as `serve` does) or by a prototype of the proposed fix (MODE fragments, below).
// CHURN DUTs per second are marked changed, as finished jobs would (a 500-DUT lab with 44-job
// rounds every 15 min: about 24/s).
//
//   node dist/bench/lib/render-harness.js MODE SNAPSHOT.json DUTS PORT CHURN
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { repoRoot } from './exec.js';

type State = object;
interface Store {
  duts: Map<string, State>;
  dut(name: string): State;
}
interface Registry {
  metrics(): Promise<string>;
  contentType: string;
}
type CreateRegistry = (info: {
  version: string;
  store: Pick<Store, 'duts'>;
  reload: object;
  journalWriteErrors?: () => number;
}) => Registry;

const [mode, snapshotFile, dutsArg, portArg, churnArg] = process.argv.slice(2);
const dist = (m: string) => import(`${repoRoot}dist/${m}`);
const { ResultsStore } = (await dist('engine/results.js')) as { ResultsStore: new () => Store };
const { restoreSnapshot } = (await dist('store/snapshot.js')) as { restoreSnapshot: (s: unknown, state: State) => State };
const { createRegistry } = (await dist('metrics/registry.js')) as { createRegistry: CreateRegistry };

const snapshot = JSON.parse(readFileSync(snapshotFile as string, 'utf8')) as unknown;
const store = new ResultsStore();
const names = Array.from({ length: Number(dutsArg) }, (_, i) => `sim${String(i).padStart(3, '0')}`);
for (const name of names) restoreSnapshot(structuredClone(snapshot), store.dut(name));
const info = { version: 'bench', reload: { successful: true, lastSuccessAt: Date.now() } };
const registry = createRegistry({ ...info, store });

/** Splits an exposition into its families: the HELP/TYPE header and the sample lines of each. */
function families(text: string): Map<string, { header: string; samples: string }> {
  const out = new Map<string, { header: string; samples: string }>();
  for (const block of text.split(/^(?=# HELP )/m)) {
    const name = /^# HELP (\S+)/.exec(block)?.[1];
    if (!name) continue;
    const lines = block.split('\n').filter(Boolean);
    const header = lines.filter((l) => l.startsWith('#')).join('\n');
    const samples = lines.filter((l) => !l.startsWith('#')).join('\n');
    out.set(name, { header, samples: samples ? `${samples}\n` : '' });
  }
  return out;
}

/**
 * The prototype: /metrics rendered when results change, not when scraped. Each DUT's share of every
 * family is rendered by the same registry code once per change of that DUT; at most every
 * REBUILD_MS the changed shares are re-rendered and the whole exposition joined and gzipped (level
 * 1), off the scrape path. A scrape sends the last whole rendering, plain or gzip: at most about
 * REBUILD_MS behind the store, never half of a change.
 */
class FragmentCache {
  private readonly perDut = new Map<string, Map<string, string>>();
  private readonly changed = new Set<string>(names);
  private timer: NodeJS.Timeout | undefined;
  body = { plain: Buffer.alloc(0), gzip: Buffer.alloc(0) };

  markChanged(dut: string): void {
    this.changed.add(dut);
    this.timer ??= setTimeout(() => void this.build(), REBUILD_MS);
  }

  async build(): Promise<void> {
    for (const dut of [...this.changed]) {
      this.changed.delete(dut);
      const one = createRegistry({ ...info, store: { duts: new Map([[dut, store.dut(dut)]]) } });
      this.perDut.set(dut, new Map([...families(await one.metrics())].map(([f, b]) => [f, b.samples])));
      await new Promise((r) => setImmediate(r)); // scrapes go first
    }
    const global = families(await createRegistry({ ...info, store: { duts: new Map() } }).metrics());
    const parts: string[] = [];
    for (const [name, { header, samples }] of global) {
      parts.push(`${header}\n`);
      // families without a dut label (build info, reload) come from the global registry only
      if (samples) parts.push(samples);
      else for (const dut of names) parts.push(this.perDut.get(dut)?.get(name) ?? '');
    }
    const plain = Buffer.from(parts.join(''));
    // compressed on libuv's thread pool, off the event loop
    this.body = { plain, gzip: await gzipAsync(plain, { level: 1 }) };
    this.timer = undefined;
  }
}

const REBUILD_MS = 1000;
const gzipAsync = promisify(gzip);
const cache = mode === 'fragments' ? new FragmentCache() : undefined;
if (cache) {
  await cache.build();
  const churn = Number(churnArg ?? 0);
  if (churn > 0) setInterval(() => cache.markChanged(names[Math.floor(Math.random() * names.length)] as string), 1000 / churn);
}

createServer((req, res) => {
  if (req.url !== '/metrics') {
    res.writeHead(404).end();
    return;
  }
  if (cache) {
    const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    const body = gzip ? cache.body.gzip : cache.body.plain;
    res.writeHead(200, {
      'Content-Type': registry.contentType,
      'Content-Length': body.length,
      ...(gzip && { 'Content-Encoding': 'gzip' }),
    });
    res.end(body);
    return;
  }
  registry.metrics().then(
    (t) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(t),
    (err: Error) => res.writeHead(500).end(err.message),
  );
}).listen(Number(portArg), '127.0.0.1', () => console.log('ready'));
