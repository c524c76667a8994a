// A child process for metrics-render.ts: DUTS copies of one DUT snapshot restored into edgebench's
// ResultsStore (src/engine/results.ts, compiled with the benchmarks), served on PORT at /metrics by
// the shipped app (createApp, createMetrics and startHttpServer, as `serve` does), without any SSH.
// CHURN DUTs per second change, as finished jobs would (a 500-DUT lab with 44-job rounds every
// 15 min: about 24/s).
//
//   node dist-bench/bench/lib/render-harness.js SNAPSHOT.json DUTS PORT CHURN
import { readFileSync } from 'node:fs';
import { ResultsStore } from '../../src/engine/results.js';
import { createApp } from '../../src/http/app.js';
import { startHttpServer } from '../../src/http/http-server.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { type DutSnapshot, restoreSnapshot } from '../../src/store/snapshot.js';

const [snapshotFile, dutsArg, portArg, churnArg] = process.argv.slice(2);
const snapshot = JSON.parse(readFileSync(snapshotFile as string, 'utf8')) as DutSnapshot;
const store = new ResultsStore();
const names = Array.from({ length: Number(dutsArg) }, (_, i) => `sim${String(i).padStart(3, '0')}`);
for (const name of names) restoreSnapshot(structuredClone(snapshot), store.dut(name));
const metrics = createMetrics({ version: 'bench', store, reload: { successful: true, lastSuccessAt: Date.now() } });

const churn = Number(churnArg ?? 0);
if (churn > 0) {
  // a finished job: one write to a DUT's results, which renders that DUT again at the next scrape
  setInterval(() => {
    store.dut(names[Math.floor(Math.random() * names.length)] as string).roundCompletedAt = Date.now();
  }, 1000 / churn);
}
await startHttpServer(
  createApp({ metrics, isReady: () => true, log: createLogger('warn') }),
  { host: '127.0.0.1', port: Number(portArg) },
  undefined,
);
console.log('ready');
