// `edgebench run`: one round on every DUT now, progress on stderr, the summary table on stdout.
import { benchmarkNames, isBenchmarkName } from '../benchmarks/index.js';
import { loadConfig } from '../config-file/load.js';
import { ResultsStore } from '../engine/results.js';
import { planRound, runRound } from '../engine/round.js';
import { sshTarget } from '../engine/ssh-target.js';
import { TrafficLinks } from '../engine/traffic-links.js';
import { createLogger, type LogFormat } from '../log.js';
import { SshConnection } from '../remote/ssh-connection.js';
import { summaryTable } from '../report/summary-table.js';

export interface RunLogOptions {
  /** --log.level, else $EDGEBENCH_LOG_LEVEL, else warn: the progress lines say what happens. */
  logLevel?: string;
  logFormat?: LogFormat;
}

export async function runOneRound(file: string, only: string[] | undefined, logOpts: RunLogOptions = {}): Promise<number> {
  const cfg = loadConfig(file);
  const unknown = only?.find((b) => !isBenchmarkName(b));
  if (unknown) {
    console.error(`unknown benchmark "${unknown}": one of ${benchmarkNames.join(', ')}`);
    return 2;
  }
  if (cfg.duts.every((d) => planRound(d, cfg.repetitions, only && new Set(only)).length === 0)) {
    console.error(`${file}: no DUT has ${only ? `any of ${only.join(', ')}` : 'any benchmark'} configured: nothing to run`);
    return 2;
  }
  const log = createLogger(logOpts.logLevel ?? process.env.EDGEBENCH_LOG_LEVEL ?? 'warn', logOpts.logFormat);
  const store = new ResultsStore();
  const abort = new AbortController();
  const links = new TrafficLinks();
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
          links,
          onJobDone: (o) => {
            const labels = Object.entries(o.job.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ');
            const what = o.error
              ? `FAILED (${o.error.reason}): ${o.error.message}`
              : `ok, mean ${o.series[0]?.stats.mean.toPrecision(5)} over ${o.repetitions} repetition(s)`;
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
