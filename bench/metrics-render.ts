// /metrics rendering alone, before and after the proposed fix: the cost of serving DUTS full result
// sets without any SSH, measured like exporter-scale.js (same load, same targets).
//
// One real round of every benchmark on a lab DUT gives a DUT snapshot (lib/seed.ts, through the
// results journal); lib/render-harness.js restores DUTS copies of it into edgebench's own
// ResultsStore and serves them twice: `registry`, the shipped prom-client registry (what `serve`
// does at every scrape), and `fragments`, a prototype of the fix proposed in RESULTS.md (each DUT's
// share rendered once by the same registry code and cached until the DUT changes, CHURN DUTs
// changing per second). Both outputs must hold the same lines (checked). RSS here is results +
// registry only: exporter-scale.js adds the SSH connections.
//
//   npx tsc -p bench/tsconfig.json && node dist/bench/metrics-render.js [--duts 500] [--churn 24] [--concurrency 20]
//     [--every 1000] [--seconds 30] [--lab bnrender] [--snapshot FILE]   (--snapshot: a saved DUT snapshot, no lab)
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { background, options, requireRoot, until } from './lib/exec.js';
import { withLab } from './lib/lab.js';
import { machine, table, verdict } from './lib/report.js';
import { MEASURED_HEADERS, type Measured, measure, measuredRow, p } from './lib/scrape.js';
import { journalAvailable, realRoundSnapshot } from './lib/seed.js';
import { freePort } from './lib/serve.js';

const o = options({ duts: '500', churn: '24', concurrency: '20', every: '1000', seconds: '30', lab: 'bnrender', snapshot: '' });
const load = { concurrency: Number(o.concurrency), everyMs: Number(o.every), seconds: Number(o.seconds) };

async function serveAndMeasure(mode: string, snapshot: string): Promise<Measured> {
  const port = await freePort();
  const harness = new URL('./lib/render-harness.js', import.meta.url).pathname;
  const child = background([process.execPath, harness, mode, snapshot, o.duts, String(port), o.churn]);
  try {
    await until(`${mode} harness`, 300_000, () => {
      if (child.child.exitCode !== null) throw new Error(`harness exited: ${child.stderr()}`);
      return child.stdout().includes('ready');
    });
    return await measure(`http://127.0.0.1:${port}/metrics`, child.child.pid as number, load);
  } finally {
    await child.stop();
  }
}

const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l && !l.startsWith('edgebench_config_last_reload_success_timestamp_seconds'))
    .sort();

console.log(`# /metrics rendering: shipped registry vs cached fragments, ${o.duts} DUTs, ${o.churn} DUT changes/s\n# ${machine()}`);
let snapshot = o.snapshot;
if (!snapshot) {
  requireRoot();
  if (!journalAvailable()) {
    console.error('HOOK: no results journal in this build (dist/store/journal.js): pass --snapshot FILE');
    process.exit(2);
  }
  snapshot = join(tmpdir(), `edgebench-bench-snapshot-${process.pid}.json`);
  const s = await withLab(o.lab, ['--pool', '4'], (lab) => realRoundSnapshot(lab));
  writeFileSync(snapshot, JSON.stringify(s));
  console.error(`DUT snapshot saved in ${snapshot} (reuse it with --snapshot)`);
}
JSON.parse(readFileSync(snapshot, 'utf8'));

const before = await serveAndMeasure('registry', snapshot);
const after = await serveAndMeasure('fragments', snapshot);
console.log(
  table(
    ['/metrics', ...MEASURED_HEADERS(load.concurrency, load.everyMs)],
    [
      ['shipped registry (before)', ...measuredRow(before)],
      ['cached fragments (after, prototype)', ...measuredRow(after)],
    ],
  ),
);
const a = lines(before.text);
const b = lines(after.text);
const same = a.length === b.length && a.every((l, i) => l === b[i]);
console.log(`\nsame lines in both outputs: ${same ? 'yes' : 'NO'} (${a.length} and ${b.length})`);
const missed: string[] = [];
if (!same) missed.push('the prototype does not render the same exposition');
for (const [name, m] of [
  ['before', before],
  ['after', after],
] as const) {
  if (!(m.rss.hwm < 200)) missed.push(`${name}: RSS ${m.rss.hwm.toFixed(0)} MB >= 200 MB`);
  if (!(p(m.load, 0.99) < 50)) missed.push(`${name}: p99 ${p(m.load, 0.99).toFixed(1)} ms >= 50 ms`);
}
verdict(missed);
