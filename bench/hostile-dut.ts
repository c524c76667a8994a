// Broken and hostile DUTs (issue 15): for each case, one `edgebench serve` with a healthy DUT and
// a bad one, and what the bad one cost. Per case: how long the bad DUT held its job (its round's
// wall time, from its log), the exporter's peak RSS (VmHWM) against a serve with the healthy DUT
// alone, and whether the healthy DUT's round in the same serve completed and succeeded.
// Target: no case raises the peak RSS by more than 50 MB; no case stops the healthy DUT.
//
// Two labs: the healthy DUT is lab A's; the bad DUT is lab B's under another name, with tools that
// are scripts of this benchmark's (output floods, a channel that never closes), or a listener of
// this benchmark's on 127.0.0.1 in front of lab B's dropbear (no banner, a key exchange that stalls,
// a banner trickled a byte a second), or lab B with its link cut in the middle of a job. The HTTP
// case abuses the exporter itself during the round: 1,000 idle connections, 20 slowloris clients, a
// 1 MB header and pipelined garbage, while a scraper counts failed scrapes.
//
//   npx tsc -p bench/tsconfig.json && node dist-bench/bench/hostile-dut.js [--lab bnh] [--only TEXT]

import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { requireRoot } from '../harness/lab.js';
import { freePort } from '../harness/ports.js';
import { mustRun, options, sleep, until } from './lib/exec.js';
import { type Lab, withLab } from './lib/lab.js';
import { fixed, machine, table, verdict } from './lib/report.js';
import { Serve } from './lib/serve.js';

const o = options({ lab: 'bnh', only: '' });
const RSS_TARGET_MB = 50;
const SYSBENCH = { modes: ['native'], instances: [1], events: 300, timeout: '1m' };

interface Setup {
  /** The bad DUT's benchmarks and connection overrides. */
  dut: Record<string, unknown>;
  /** Started once serve is up; its return value stops it. */
  during?: (serve: Serve) => Promise<() => Promise<string>>;
  stop?: () => Promise<void>;
}

interface Case {
  name: string;
  setup: (good: Lab, bad: Lab) => Promise<Setup>;
}

function script(lab: Lab, file: string, body: string): string {
  const path = join(lab.work, file);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** A TCP listener on 127.0.0.1 that does `onSocket` with each connection; closes them all on stop. */
async function listener(onSocket: (s: Socket) => void): Promise<{ port: number; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

const sshCase = (name: string, onSocket: (s: Socket, bad: Lab) => void): Case => ({
  name,
  async setup(_good, bad) {
    const l = await listener((s) => onSocket(s, bad));
    return {
      dut: { host: '127.0.0.1', port: l.port, connect_timeout: '5s', benchmarks: { sysbench: SYSBENCH } },
      stop: l.stop,
    };
  },
});

const CASES: Case[] = [
  { name: 'baseline: no bad DUT', setup: async () => ({ dut: {} }) },
  {
    name: 'stdout flood (sysbench is `yes`, --version too)',
    setup: async (_g, bad) => ({ dut: { benchmarks: { sysbench: { ...SYSBENCH, path: script(bad, 'flood', 'exec yes flood') } } } }),
  },
  {
    name: 'one endless line (stream)',
    setup: async (_g, bad) => ({
      dut: {
        benchmarks: {
          stream: { modes: ['native'], suites: ['stream'], array_mib: 4, path: script(bad, 'endless', "tr '\\000' x </dev/zero") },
        },
      },
    }),
  },
  {
    name: 'TM-side client flood (nuttcp)',
    setup: async (_g, bad) => ({
      dut: {
        benchmarks: {
          nuttcp: { netdevs: ['host'], directions: ['transmit'], duration: '3s', client_path: script(bad, 'client', 'exec yes flood') },
        },
      },
    }),
  },
  {
    // dropbear closes a channel when the session's process exits, whoever holds its output; what
    // waits is edgebench's own read of k instances' outputs: two instances, natively
    name: 'output never ends after the tool exits (a child holds it; 2 instances)',
    setup: async (_g, bad) => ({
      dut: {
        benchmarks: {
          sysbench: { ...SYSBENCH, instances: [2], timeout: '10s', path: script(bad, 'holder', '(exec sleep 3600) &\necho started') },
        },
      },
    }),
  },
  sshCase('TCP accepted, no SSH banner', () => {}),
  sshCase('banner trickled a byte a second', (s) => {
    const banner = 'SSH-2.0-dropbear_2022.83\r\n';
    let i = 0;
    const t = setInterval(() => (s.destroyed ? clearInterval(t) : s.write(banner[i++ % banner.length] as string)), 1000);
    s.on('close', () => clearInterval(t));
  }),
  sshCase('key exchange stalls (banner and KEXINIT forwarded, then nothing)', (s, bad) => {
    // forwards lab B's dropbear until it has sent its banner and first packet, then forwards nothing
    const up = connect(22, bad.dut.host);
    up.on('error', () => s.destroy());
    s.on('close', () => up.destroy());
    let fromServer = 0;
    up.on('data', (d: Buffer) => {
      if (fromServer < 2) s.write(d);
      fromServer += 1;
    });
    s.on('data', (d: Buffer) => up.write(d));
  }),
  {
    name: 'DUT stops answering mid-job (link down 4 s into a 30 s tool)',
    async setup(_g, bad) {
      const slow = script(bad, 'slow', 'exec sleep 30');
      const link = `eb-${bad.name}`; // the TM side of lab B's DUT link
      return {
        dut: { benchmarks: { sysbench: { ...SYSBENCH, path: slow } } },
        during: async () => {
          await sleep(4000);
          await mustRun(['ip', 'link', 'set', link, 'down']);
          return async () => {
            await mustRun(['ip', 'link', 'set', link, 'up']);
            return '';
          };
        },
      };
    },
  },
  {
    name: 'HTTP abuse: 1000 idle, 20 slowloris, 1 MB header, pipelined garbage',
    async setup() {
      return {
        dut: {},
        during: async (serve) => {
          const sockets: Socket[] = [];
          const open = () => {
            const s = connect(serve.port, '127.0.0.1');
            s.on('error', () => {});
            sockets.push(s);
            return s;
          };
          for (let i = 0; i < 1000; i++) open();
          const drip = setInterval(() => {
            for (const s of sockets.slice(1000, 1020)) if (!s.destroyed) s.write('x');
          }, 1000);
          for (let i = 0; i < 20; i++) open().write('GET /metrics HTTP/1.1\r\nHost: a\r\nX-Slow: ');
          open().write(`GET /metrics HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(1 << 20)}\r\n\r\n`);
          open().write('GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n\u0000\u0001garbage\r\n\r\nPOST / HTTP/9.9\r\n\r\n'.repeat(100));
          let ok = 0;
          let failed = 0;
          const scraping = (async () => {
            for (let i = 0; i < 40; i++) {
              const res = await fetch(`http://127.0.0.1:${serve.port}/metrics`, { signal: AbortSignal.timeout(5000) }).catch(
                () => undefined,
              );
              if (res?.ok) {
                await res.text();
                ok += 1;
              } else failed += 1;
              await sleep(250);
            }
          })();
          return async () => {
            await scraping;
            clearInterval(drip);
            const closedByServer = sockets.filter((s) => s.destroyed || s.readyState === 'closed').length;
            for (const s of sockets) s.destroy();
            return `scrapes ${ok} ok / ${failed} failed; ${closedByServer} of ${sockets.length} abusive connections closed by the server`;
          };
        },
      };
    },
  },
];

interface Row {
  name: string;
  heldS: number;
  reasons: string;
  hwmMb: number;
  healthyOk: boolean;
  note: string;
}

const hwm = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

async function runCase(c: Case, good: Lab, bad: Lab): Promise<Row> {
  const s = await c.setup(good, bad);
  const port = await freePort();
  const healthy = good.dut.name;
  const badName = `bad-${bad.name}`;
  const hasBad = Object.keys(s.dut).length > 0;
  const config = join(good.work, `${c.name.replace(/\W+/g, '-')}.yml`);
  writeFileSync(
    config,
    stringify({
      listen: `127.0.0.1:${port}`,
      schedule: { interval: '1h' },
      repetitions: 1,
      journal: { path: join(good.work, `${port}.sqlite`) },
      duts: [{ ...good.dut, benchmarks: { sysbench: SYSBENCH } }, ...(hasBad ? [{ ...bad.dut, name: badName, ...s.dut }] : [])],
    }),
  );
  const serve = new Serve(config, port);
  const started = Date.now();
  let note = '';
  try {
    await until(
      '/-/ready',
      60_000,
      async () => {
        if (serve.proc.child.exitCode !== null) throw new Error(`edgebench serve exited:\n${serve.proc.stderr().slice(-3000)}`);
        return (await fetch(`http://127.0.0.1:${port}/-/ready`).catch(() => undefined))?.ok === true;
      },
      100,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${serve.proc.stderr().slice(-3000)}`);
    });
    const stopDuring = await s.during?.(serve);
    const duts = hasBad ? 2 : 1;
    const samples = await serve.firstRounds(duts, 180_000, started).then(() => serve.samples());
    note = (await stopDuring?.()) ?? '';
    const lines = serve.proc
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { dut?: string; msg: string; time: number; reason?: string });
    const badEnd = lines.find((l) => l.dut === badName && (l.msg === 'round complete' || l.msg.startsWith('round skipped')));
    const reasons = [...new Set(lines.filter((l) => l.dut === badName && l.reason).map((l) => l.reason))].join(', ');
    const done = samples.find((x) => x.name === 'edgebench_round_last_completion_timestamp_seconds' && x.labels.dut === healthy);
    const success = samples.find(
      (x) => x.name === 'edgebench_benchmark_success' && x.labels.dut === healthy && x.labels.benchmark === 'sysbench',
    );
    return {
      name: c.name,
      heldS: badEnd ? (badEnd.time - started) / 1000 : Number.NaN,
      reasons,
      hwmMb: hwm(serve.pid),
      healthyOk: done !== undefined && success?.value === 1,
      note,
    };
  } finally {
    await serve.stop();
    await s.stop?.();
  }
}

requireRoot('this benchmark');
console.log(machine());
await withLab(`${o.lab}a`, ['--pool', '1'], (good) =>
  withLab(`${o.lab}b`, ['--pool', '1'], async (bad) => {
    const rows: Row[] = [];
    for (const c of CASES.filter((c, i) => i === 0 || c.name.includes(o.only))) {
      const row = await runCase(c, good, bad);
      rows.push(row);
      console.error(`${c.name}: ${JSON.stringify(row)}`);
    }
    const base = rows[0]?.hwmMb ?? Number.NaN;
    console.log(
      table(
        ['case', 'bad DUT held (s)', 'bad reasons', 'peak RSS (MB)', 'vs baseline', 'healthy round', 'note'],
        rows.map((r) => [
          r.name,
          fixed(r.heldS),
          r.reasons || '-',
          fixed(r.hwmMb),
          r === rows[0] ? '-' : `${r.hwmMb - base >= 0 ? '+' : ''}${fixed(r.hwmMb - base)}`,
          r.healthyOk ? 'completed' : 'NOT completed',
          r.note,
        ]),
      ),
    );
    const worst = Math.max(...rows.slice(1).map((r) => r.hwmMb - base));
    const missed = [
      ...(worst > RSS_TARGET_MB ? [`peak RSS rose by ${fixed(worst)} MB (target: at most ${RSS_TARGET_MB})`] : []),
      ...rows.filter((r) => !r.healthyOk).map((r) => `${r.name}: the healthy DUT's round did not complete`),
    ];
    verdict(missed);
  }),
);
