// Scale of the exporter: `edgebench serve` with DUTS simulated DUTs and a full result set each;
// targets: RSS below 200 MB, /metrics p99 below 50 ms under 20 concurrent scrapers. Beside it,
// Debian's prometheus-node-exporter serving its own metrics under the same load: time per 1,000
// series side by side.
//
// The simulated DUTs are dropbear servers (lib/sim-duts.ts) in one lab DUT's namespaces, one port
// each, running a trivial benchmark (sysbench, 1 event, native). The full result set comes from
// one real round of every benchmark on the lab's DUT, restored into each simulated DUT through
// edgebench's results journal (lib/seed.ts). The load, after every DUT's first
// round: CONCURRENCY scrapers (keep-alive, uncompressed, the whole body read), each scraping every
// EVERY ms and all of them at the same instants, so each tick is CONCURRENCY scrapes in flight at
// once (20 Prometheus servers scraping in step, at 15-30x their usual rate) for SECONDS: the p99
// target applies here. Then the same scrapers closed-loop (each again as soon as its last scrape
// ended) for SECONDS: a stress figure, where latency is about CONCURRENCY x one scrape's cost by
// construction. RSS sampled every 100 ms throughout, and the kernel's peak (VmHWM), which covers
// the start (500 SSH connections, the journal restore), read at the end. "Time per 1,000 series"
// is the median latency of one scraper alone divided by the series count.
//
//   npx tsc -p bench/tsconfig.json && node dist-bench/bench/exporter-scale.js [--duts 500] [--concurrency 20] [--every 1000] [--seconds 30]
//     [--interval 15m] [--lab bnscale] [--profile DIR] [--seed yes]   (--profile: serve runs with node --cpu-prof into DIR;
//     --seed no: no full result set, the SSH side's memory alone)
import { existsSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { requireRoot } from '../harness/lab.js';
import { freePort } from '../harness/ports.js';
import { background, mustRun, options, sleep, until } from './lib/exec.js';
import { withLab } from './lib/lab.js';
import { machine, table, verdict } from './lib/report.js';
import { MEASURED_HEADERS, type Measured, measure, measuredRow, p, rssSampler } from './lib/scrape.js';
import { realRoundSnapshot, seedJournal } from './lib/seed.js';
import { Serve } from './lib/serve.js';
import { startSimDuts } from './lib/sim-duts.js';

const o = options({
  duts: '500',
  concurrency: '20',
  every: '1000',
  seconds: '30',
  interval: '15m',
  lab: 'bnscale',
  profile: '',
  seed: 'yes',
});
const RSS_MB = 200;
const P99_MS = 50;
const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
const load = { concurrency: Number(o.concurrency), everyMs: Number(o.every), seconds: Number(o.seconds) };

async function ensureNodeExporter(): Promise<void> {
  if (existsSync(NODE_EXPORTER)) return;
  console.error('installing Debian package prometheus-node-exporter');
  await mustRun(['apt-get', 'install', '-y', '-q', '--no-install-recommends', 'prometheus-node-exporter'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

requireRoot('this benchmark');
const n = Number(o.duts);
console.log(`# exporter scale: ${n} simulated DUTs, ${o.concurrency} concurrent scrapers for ${o.seconds} s\n# ${machine()}`);
await ensureNodeExporter();

await withLab(o.lab, ['--pool', '4'], async (lab) => {
  const missed: string[] = [];
  const names = Array.from({ length: n }, (_, i) => `sim${String(i).padStart(3, '0')}`);
  const journal = `${lab.work}/scale-journal.sqlite`;
  let resultSet = 'trivial round only (--seed no)';
  if (o.seed !== 'no') {
    console.error('seed: one real round of every benchmark on the lab DUT');
    seedJournal(journal, names, await realRoundSnapshot(lab));
    resultSet = "one real round's full result set per DUT, restored from the journal";
  }

  const sims = await startSimDuts(lab, n, 2200);
  let eb: Measured;
  try {
    const port = await freePort();
    const config = `${lab.work}/scale.yml`;
    writeFileSync(
      config,
      stringify(
        {
          listen: `127.0.0.1:${port}`,
          schedule: { interval: o.interval },
          repetitions: 1,
          journal: { path: journal },
          duts: names.map((name, i) => ({
            name,
            host: lab.dut.host,
            port: sims.ports[i],
            identity_file: lab.dut.identity_file,
            host_key: lab.dut.host_key,
            benchmarks: { sysbench: { modes: ['native'], instances: [1], events: 1 } },
          })),
        },
        { aliasDuplicateObjects: false },
      ), // edgebench's YAML loader refuses more than 100 aliases
    );
    const serve = new Serve(config, port, o.profile ? ['--cpu-prof', `--cpu-prof-dir=${o.profile}`] : []);
    try {
      const t0 = Date.now();
      const startRss = rssSampler(serve.pid);
      const unreachable = await serve.firstRounds(n, 15 * 60_000, t0);
      const firstRounds = (Date.now() - t0) / 1000;
      const startPeak = startRss.stop().peak;
      await sleep(10_000);
      console.log(
        `all ${n} first rounds done in ${firstRounds.toFixed(1)} s; RSS peak until then ${startPeak.toFixed(0)} MB, 10 s later ${startRss.now().toFixed(0)} MB`,
      );
      if (unreachable.length > 0) {
        console.log(
          `${unreachable.length} DUT(s) failed their first connection (next attempt at the next tick): ${unreachable.join('; ')}`,
        );
        missed.push(`${unreachable.length} simulated DUT(s) unreachable at start`);
      }
      eb = await measure(`http://127.0.0.1:${port}/metrics`, serve.pid, load);
    } finally {
      await serve.stop();
    }
  } finally {
    sims.stop();
  }

  const nePort = await freePort();
  const ne = background([NODE_EXPORTER, `--web.listen-address=127.0.0.1:${nePort}`]);
  let node: Measured;
  try {
    const url = `http://127.0.0.1:${nePort}/metrics`;
    await until('node exporter', 10_000, async () => (await fetch(url).catch(() => undefined))?.ok === true);
    node = await measure(url, ne.child.pid as number, load);
  } finally {
    await ne.stop();
  }

  console.log(`result set: ${resultSet}`);
  console.log(
    table(
      ['exporter', ...MEASURED_HEADERS(load.concurrency, load.everyMs)],
      [
        [`edgebench (${n} DUTs)`, ...measuredRow(eb)],
        ['prometheus-node-exporter', ...measuredRow(node)],
      ],
    ),
  );
  if (!(eb.rss.hwm < RSS_MB)) missed.push(`edgebench RSS peak ${eb.rss.hwm.toFixed(0)} MB >= ${RSS_MB} MB`);
  if (!(p(eb.load, 0.99) < P99_MS)) missed.push(`edgebench /metrics p99 ${p(eb.load, 0.99).toFixed(1)} ms >= ${P99_MS} ms`);
  if (eb.load.errors + eb.stress.errors > 0) missed.push(`${eb.load.errors + eb.stress.errors} failed scrapes`);
  verdict(missed);
});
