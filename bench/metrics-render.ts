// /metrics rendering alone: the cost of serving DUTS full result sets without any SSH, measured like
// exporter-scale.js (same load, same targets), so the renderer's share of its figures shows.
//
// One real round of every benchmark on a lab DUT gives a DUT snapshot (lib/seed.ts, through the
// results journal); lib/render-harness.js restores DUTS copies of it into edgebench's own
// ResultsStore and serves them with the shipped app, CHURN DUTs changing per second. RSS here is
// results + rendering only: exporter-scale.js adds the SSH connections.
//
//   npx tsc -p bench/tsconfig.json && node dist-bench/bench/metrics-render.js [--duts 500] [--churn 24] [--concurrency 20]
//     [--every 1000] [--seconds 30] [--lab bnrender] [--snapshot FILE]   (--snapshot: a saved DUT snapshot, no lab)
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireRoot } from '../harness/lab.js';
import { freePort } from '../harness/ports.js';
import { background, options, until } from './lib/exec.js';
import { withLab } from './lib/lab.js';
import { machine, table, verdict } from './lib/report.js';
import { MEASURED_HEADERS, type Measured, measure, measuredRow, p } from './lib/scrape.js';
import { realRoundSnapshot } from './lib/seed.js';

const o = options({ duts: '500', churn: '24', concurrency: '20', every: '1000', seconds: '30', lab: 'bnrender', snapshot: '' });
const load = { concurrency: Number(o.concurrency), everyMs: Number(o.every), seconds: Number(o.seconds) };

async function serveAndMeasure(snapshot: string): Promise<Measured> {
  const port = await freePort();
  const harness = new URL('./lib/render-harness.js', import.meta.url).pathname;
  const child = background([process.execPath, harness, snapshot, o.duts, String(port), o.churn]);
  try {
    await until('the render harness', 300_000, () => {
      if (child.child.exitCode !== null) throw new Error(`harness exited: ${child.stderr()}`);
      return child.stdout().includes('ready');
    });
    return await measure(`http://127.0.0.1:${port}/metrics`, child.child.pid as number, load);
  } finally {
    await child.stop();
  }
}

console.log(`# /metrics rendering alone, ${o.duts} DUTs, ${o.churn} DUT changes/s\n# ${machine()}`);
let snapshot = o.snapshot;
if (!snapshot) {
  requireRoot('metrics-render without --snapshot');
  snapshot = join(tmpdir(), `edgebench-bench-snapshot-${process.pid}.json`);
  const s = await withLab(o.lab, ['--pool', '4'], (lab) => realRoundSnapshot(lab));
  writeFileSync(snapshot, JSON.stringify(s));
  console.error(`DUT snapshot saved in ${snapshot} (reuse it with --snapshot)`);
}
JSON.parse(readFileSync(snapshot, 'utf8'));

const m = await serveAndMeasure(snapshot);
console.log(
  table(['/metrics', ...MEASURED_HEADERS(load.concurrency, load.everyMs)], [[`${o.duts} DUTs, ${o.churn} changes/s`, ...measuredRow(m)]]),
);
const missed: string[] = [];
if (!(m.rss.hwm < 200)) missed.push(`RSS ${m.rss.hwm.toFixed(0)} MB >= 200 MB`);
if (!(p(m.load, 0.99) < 50)) missed.push(`p99 ${p(m.load, 0.99).toFixed(1)} ms >= 50 ms`);
verdict(missed);
