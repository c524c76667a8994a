// `edgebench run`: one round on every DUT now, progress on stderr, the summary table on stdout.
import { loadConfig } from '../config/load.js';
import { ResultsStore } from '../engine/results.js';
import { runRound } from '../engine/round.js';
import { createLogger } from '../log.js';
import { SshConnection } from '../remote/ssh-connection.js';
import { sshTarget } from '../remote/ssh-target.js';
import { summaryTable } from '../report/summary-table.js';

export async function runOnce(file: string, only: string[] | undefined): Promise<number> {
  const cfg = loadConfig(file);
  const log = createLogger(process.env.EDGEBENCH_LOG_LEVEL ?? 'warn');
  const store = new ResultsStore();
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  const results = await Promise.all(
    cfg.duts.map(async (dut) => {
      const conn = new SshConnection(sshTarget(dut), log);
      try {
        return await runRound(dut, conn, store.dut(dut.name), {
          repetitions: cfg.repetitions,
          only: only ? new Set(only) : undefined,
          signal: abort.signal,
          log,
          onJobDone: (o) => {
            const labels = Object.entries(o.job.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ');
            const what = o.error ? `FAILED (${o.error.reason}): ${o.error.message}` : `ok, mean ${o.stats?.mean.toPrecision(5)}`;
            process.stderr.write(`[${dut.name}] ${o.job.benchmark} ${labels}: ${what} (${o.durationSeconds.toFixed(1)}s)\n`);
          },
        });
      } finally {
        conn.close();
      }
    }),
  );
  const outcomes = results.flat();
  console.log(summaryTable(outcomes));
  const failed = outcomes.filter((o) => o.error);
  for (const f of failed)
    console.error(`failed: ${f.dut} ${f.job.benchmark} ${JSON.stringify(f.job.labels)}: ${f.error?.reason}: ${f.error?.message}`);
  return failed.length > 0 || outcomes.length === 0 ? 1 : 0;
}
