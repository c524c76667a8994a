// A child process for metrics-render.ts: DUTS copies of one DUT snapshot restored into edgebench's
// ResultsStore (built modules from dist/), served on PORT at /metrics by the shipped app
// (createApp, createMetrics and startHttpServer, as `serve` does), without any SSH. CHURN DUTs per second change, as
// finished jobs would (a 500-DUT lab with 44-job rounds every 15 min: about 24/s).
//
//   node dist/bench/lib/render-harness.js SNAPSHOT.json DUTS PORT CHURN
import { readFileSync } from 'node:fs';
import { repoRoot } from './exec.js';

interface State {
  roundCompletedAt: number | undefined;
}
interface Store {
  dut(name: string): State;
}
type Metrics = object;

const [snapshotFile, dutsArg, portArg, churnArg] = process.argv.slice(2);
const dist = (m: string) => import(`${repoRoot}dist/${m}`);
const { ResultsStore } = (await dist('engine/results.js')) as { ResultsStore: new () => Store };
const { restoreSnapshot } = (await dist('store/snapshot.js')) as { restoreSnapshot: (s: unknown, state: State) => State };
const { createMetrics } = (await dist('metrics/registry.js')) as { createMetrics: (info: object) => Metrics };
const { createApp } = (await dist('http/app.js')) as { createApp: (o: object) => object };
const { startHttpServer } = (await dist('http/http-server.js')) as {
  startHttpServer: (routes: object, listen: { host: string; port: number }, web: undefined) => Promise<unknown>;
};
const { createLogger } = (await dist('log.js')) as { createLogger: (level: string) => unknown };

const snapshot = JSON.parse(readFileSync(snapshotFile as string, 'utf8')) as unknown;
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
