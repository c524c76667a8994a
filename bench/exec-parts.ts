// Where a job's orchestration time goes on the DUT: the commands edgebench wraps around every tool,
// each timed on its own over edgebench's own persistent SSH connection (src/remote/ssh-connection.ts),
// RUNS times, median. A reading aid for overhead.js and round-efficiency.js, not a target:
//   exec `true`                  an exec channel: dropbear's fork, the login shell, `export …; exec sh -c`
//   parallel script, native      what 2+ instances of sysbench/linpack/stream run in: mktemp, subshells, cat, rm
//                                (one instance runs without it, as exec `true` does)
//   parallel script, lxc         the same with lxc-attach into pool container 0
//   kill script                  what ends every server and every timed-out job: one `grep -lzx` over /proc/*/environ
//   kill script, no grep -z      its fallback for a grep without -z: `tr | grep -qx` per process (what every kill ran before)
//   ssh dut true                 OpenSSH, a new connection per command, for scale
//
//   npx tsc -p bench/tsconfig.json && node dist-bench/bench/exec-parts.js [--runs 20] [--lab bnparts]
import { readdirSync } from 'node:fs';
import { requireRoot } from '../harness/lab.js';
import { loadConfig } from '../src/config-file/load.js';
import { sshTarget } from '../src/engine/ssh-target.js';
import { createLogger } from '../src/log.js';
import { commandIn, lxc, native } from '../src/remote/exec-context.js';
import { parallelScript } from '../src/remote/parallel.js';
import { killScript } from '../src/remote/remote-process.js';
import { SshConnection } from '../src/remote/ssh-connection.js';
import { options } from './lib/exec.js';
import { ssh, withLab, writeConfig } from './lib/lab.js';
import { fixed, machine, median, quantile, table } from './lib/report.js';

const o = options({ runs: '20', lab: 'bnparts' });

requireRoot('this benchmark');
const runs = Number(o.runs);
console.log(`# orchestration commands on the DUT, ${runs} runs each, over edgebench's persistent connection\n# ${machine()}`);

await withLab(o.lab, [], async (lab) => {
  const [dut] = loadConfig(writeConfig(lab, 'parts.yml', { benchmarks: { sysbench: {} } })).duts;
  if (!dut) throw new Error('parts.yml has no DUT');
  const conn = new SshConnection(sshTarget(dut), createLogger('warn'));
  await conn.connect();
  const pool0 = lxc(lab.dut.lxc_path, (lab.dut.containers as { pool: string[] }).pool[0] as string);
  const unused = 'ffffffffffffffff';
  const parts: [string, () => Promise<unknown>][] = [
    ['exec `true`', () => conn.exec('true', { timeoutMs: 30_000 })],
    [
      'parallel script, native, 1 framed instance of `true`',
      () => conn.exec(parallelScript([commandIn(native, ['true'])]), { timeoutMs: 30_000 }),
    ],
    [
      'parallel script, lxc, 1 framed instance of `true`',
      () => conn.exec(parallelScript([commandIn(pool0, ['true'])]), { timeoutMs: 30_000 }),
    ],
    ['kill script, nothing to kill', () => conn.exec(killScript(unused), { timeoutMs: 30_000 })],
    // the probe made to fail: the per-process fallback
    [
      'kill script, no grep -z, nothing to kill',
      () => conn.exec(killScript(unused).replace('grep -qzx a', 'false'), { timeoutMs: 30_000 }),
    ],
    ['ssh dut true (OpenSSH, new connection)', () => ssh(lab, 'true')],
  ];
  const rows: string[][] = [];
  try {
    for (const [name, fn] of parts) {
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await fn();
        ms.push(performance.now() - t0);
      }
      rows.push([name, fixed(median(ms)), fixed(quantile(ms, 0.9))]);
    }
  } finally {
    conn.close();
  }
  const procs = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
  console.log(`processes in /proc (the lab's DUT shares the host's PID namespace): ${procs}\n`);
  console.log(table(['command', 'median ms', 'p90 ms'], rows));
});
