// A full result set per simulated DUT, through edgebench's own results journal (src/store/).
//
// `edgebench serve` restores each configured DUT's last state from the journal at start. So one real
// round on the lab's DUT (every benchmark, short settings, the lab's label shapes) is run by `serve`
// into a journal, its DUT snapshot is read back, and saved under each simulated DUT's name into the
// journal the scale run's `serve` opens. Everything goes through edgebench's own journal
// (src/store/journal.ts: Journal.open, loadStates, saveState); nothing here stores anything itself.
import { freePort } from '../../harness/ports.js';
import { Journal } from '../../src/store/journal.js';
import type { DutSnapshot } from '../../src/store/snapshot.js';
import { type Lab, writeConfig } from './lab.js';
import { Serve } from './serve.js';

/** One real round of every benchmark on the lab's DUT, by `serve`; returns the DUT's journal snapshot. */
export async function realRoundSnapshot(lab: Lab): Promise<DutSnapshot> {
  const port = await freePort();
  const journal = `${lab.work}/seed-journal.sqlite`;
  const stream = (lab.dut.benchmarks as { stream: { path: string } }).stream.path;
  const config = writeConfig(lab, 'seed.yml', {
    listen: `127.0.0.1:${port}`,
    repetitions: 1,
    journal: { path: journal },
    dut: { name: 'seed' },
    // the lab configuration's label shapes (instances, netdevs, directions, suites), short runs
    benchmarks: {
      sysbench: { instances: [1, 2, 4], events: 200 },
      linpack: { instances: [1, 2], n: 200, block_size: 32 },
      stream: { path: stream, array_mib: 8 },
      nuttcp: { duration: '1s', perf: true },
      netperf: { duration: '1s' },
      iperf3: { instances: [1, 2, 4], duration: '1s' },
    },
  });
  const serve = new Serve(config, port);
  try {
    await serve.roundsDone(1, 20 * 60_000);
  } finally {
    await serve.stop();
  }
  const j = Journal.open(journal, { readonly: true });
  try {
    const snapshot = j.loadStates(['seed']).get('seed');
    if (!snapshot) throw new Error('the seed round left no DUT state in its journal');
    return snapshot;
  } finally {
    j.close();
  }
}

/** Saves `snapshot` as the last state of every one of `duts` in the journal at `path`. */
export function seedJournal(path: string, duts: readonly string[], snapshot: DutSnapshot): void {
  const j = Journal.open(path);
  try {
    for (const dut of duts) j.saveState(dut, snapshot);
  } finally {
    j.close();
  }
}
