// iperf3, k servers on the DUT and k clients on the TM started together: each client's -J output
// is one sample, the aggregate throughput is their sum (the paper's Figs. 7-10).
import { z } from 'zod';
import type { DutTarget } from '../config/dut.js';
import { duration, maxOutputBytes, positiveInt, repetitions, tcpPort, toolPath } from '../config/fields.js';
import { type DutProcess, startDutServer } from '../remote/dut-process.js';
import { ToolReportedError } from '../remote/errors.js';
import { clientResult } from '../remote/tool-failure.js';
import type { Benchmark, ResultFamily } from './benchmark.js';
import type { Job, JobContext, Repetition } from './job.js';
import { jobBase } from './job-base.js';
import {
  type Direction,
  directionsParam,
  durationIssues,
  type Endpoint,
  netdevIssues,
  netdevsParam,
  networkJobs,
  toolSeconds,
} from './netdevs.js';

export interface Iperf3Sample {
  version: string | undefined;
  protocol: 'tcp' | 'udp' | 'sctp';
  /** As seen from the client: `sender` sends to the server, `reverse` (-R) receives from it. */
  direction: 'sender' | 'reverse';
  streams: number;
  /** Bytes the receiving side got (end.sum_received). */
  bytes: number;
  /** The receiving side's measurement time. */
  seconds: number;
  /** end.sum_received: what arrived, the throughput that counts. */
  throughputBytesPerSecond: number;
  /** end.sum_sent. */
  sentBytesPerSecond: number;
  /** TCP sender retransmits (the server's in reverse mode); undefined for UDP. */
  retransmits: number | undefined;
  /** UDP datagrams lost; undefined for TCP. */
  lostPercent: number | undefined;
}

// JSON carries any number: a negative one is no measurement (1e400 parses to Infinity, which z.number() refuses)
const sum = z.object({
  seconds: z.number().positive(),
  bytes: z.number().nonnegative(),
  bits_per_second: z.number().nonnegative(),
  retransmits: z.number().nonnegative().optional(),
  lost_percent: z.number().nonnegative().optional(),
});

const report = z.object({
  start: z.object({
    version: z.string().optional(),
    test_start: z.object({ protocol: z.string(), num_streams: z.number().int().positive(), reverse: z.number() }),
  }),
  end: z.object({ sum_sent: sum, sum_received: sum }),
});

/** Parses one `iperf3 -c ... -J` client output (iperf3 3.x). */
export function parseIperf3(text: string): Iperf3Sample {
  // -J only: iperf3's text report is meant for people and changes between versions
  if (!text.trimStart().startsWith('{')) throw new Error('not iperf3 -J output: no JSON object (edgebench reads iperf3 -J only)');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`not iperf3 -J output: invalid JSON, truncated? (${(err as Error).message})`);
  }
  // iperf3 -J reports failures in an "error" field, with exit status 0 (3.12), e.g.
  // "the server is busy running a test. try again later"
  const error = (json as { error?: unknown } | null)?.error;
  if (typeof error === 'string') throw new ToolReportedError(`iperf3 failed: ${error}`);
  const r = report.safeParse(json);
  if (!r.success) {
    const where = r.error.issues[0]?.path.join('.');
    throw new Error(`not an iperf3 -J test result: ${where ? `no valid ${where}` : r.error.issues[0]?.message}`);
  }
  const { start, end } = r.data;
  const protocol = start.test_start.protocol.toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp')
    throw new Error(`iperf3 protocol ${start.test_start.protocol.slice(0, 40)} is unknown`);
  if (end.sum_received.bits_per_second === 0) throw new Error('iperf3 measured no throughput: the receiver got 0 bits/s');
  return {
    version: start.version?.replace(/^iperf /, ''),
    protocol,
    direction: start.test_start.reverse ? 'reverse' : 'sender',
    streams: start.test_start.num_streams,
    bytes: end.sum_received.bytes,
    seconds: end.sum_received.seconds,
    // bits_per_second: decimal bits, so / 8
    throughputBytesPerSecond: end.sum_received.bits_per_second / 8,
    sentBytesPerSecond: end.sum_sent.bits_per_second / 8,
    retransmits: protocol === 'udp' ? undefined : end.sum_sent.retransmits,
    lostPercent: protocol === 'udp' ? end.sum_received.lost_percent : undefined,
  };
}

const params = z.strictObject({
  netdevs: netdevsParam,
  directions: directionsParam,
  instances: z.array(positiveInt(64)).min(1).default([1, 2, 4]).meta({ description: 'Parallel server/client pairs (Figs. 7-10)' }),
  duration: duration('10s').prefault('10s').meta({ description: 'Length of one test (iperf3 -t), whole seconds' }),
  base_port: tcpPort.default(5201).meta({ description: 'Instance i listens on base_port + i' }),
  repetitions: repetitions.optional(),
  timeout: duration('1m').prefault('1m').meta({ description: 'Per repetition; longer than duration' }),
  max_output_bytes: maxOutputBytes,
  path: toolPath.default('iperf3').meta({ description: 'iperf3 on the DUT (servers)' }),
  client_path: toolPath.default('iperf3').meta({ description: 'iperf3 on the test machine (clients)' }),
});
type Params = z.output<typeof params>;

const family: ResultFamily = {
  name: 'edgebench_iperf3_throughput_bytes_per_second',
  help: 'iperf3 aggregate throughput of k parallel TCP streams (k servers on the DUT, k clients on the TM), receiver side',
  labelNames: ['mode', 'netdev', 'direction', 'instances'],
  title: 'iperf3 aggregate throughput',
  paperRef: 'Figs. 7-10',
  legend: '{{netdev}} {{direction}} ×{{instances}}',
  higherIsBetter: true,
  display: { symbol: 'Mbit/s', grafana: 'Mbits', multiplier: 8, divisor: 1e6 },
};

async function measure(ctx: JobContext, p: Params, ep: Endpoint, dir: Direction, k: number): Promise<Repetition> {
  const servers: DutProcess[] = [];
  try {
    for (let i = 0; i < k; i++) {
      const port = p.base_port + i;
      servers.push(await startDutServer(ctx, ep.where, [p.path, '-s', '-p', String(port)], port, p.timeout));
    }
    // -R: the server sends, so the DUT transmits
    const reverse = dir === 'transmit' ? ['-R'] : [];
    const clients = servers.map((_, i) => {
      const argv = [
        p.client_path,
        '-c',
        ep.address,
        '-p',
        String(p.base_port + i),
        '-t',
        String(toolSeconds(p.duration)),
        '-J',
        ...reverse,
      ];
      return clientResult(ctx, argv, p.timeout, parseIperf3);
    });
    // every client ends before the servers go (a failed one ends the others' test soon after)
    const settled = await Promise.allSettled(clients);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const total = settled.reduce((sum, r) => sum + (r.status === 'fulfilled' ? r.value.throughputBytesPerSecond : 0), 0);
    return { values: [total] };
  } finally {
    await Promise.all(servers.map((s) => s.kill()));
  }
}

function plan(p: Params, dut: DutTarget, defaults: Pick<Job, 'repetitions'>): Job[] {
  const base = jobBase('iperf3', family, p, defaults);
  const variants = p.directions.flatMap((direction) => p.instances.map((k) => ({ direction, k })));
  return networkJobs(
    base,
    p.netdevs,
    dut,
    variants,
    ({ direction, k }) => ({ direction, instances: String(k) }),
    (ctx, ep, { direction, k }) => measure(ctx, p, ep, direction, k),
  );
}

export const iperf3: Benchmark<Params> = {
  name: 'iperf3',
  order: 32,
  versionFlag: '--version',
  families: [family],
  params,
  parsers: { iperf3: parseIperf3 },
  check: (p, dut) => [
    ...netdevIssues(p.netdevs, dut),
    ...durationIssues(p.duration, p.timeout),
    ...(p.base_port + Math.max(...p.instances) - 1 > 65_535
      ? [{ path: ['base_port'], message: 'base_port + instances - 1 must be at most 65535' }]
      : []),
  ],
  plan,
};
