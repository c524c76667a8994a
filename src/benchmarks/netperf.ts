// netperf TCP_RR and UDP_RR, 100-byte requests and 200-byte responses, netserver on the DUT and
// netperf on the TM: round-trip latency = 1 / transaction rate (the paper's Fig. 6).
import { z } from 'zod';
import { duration, maxOutputBytes, positiveInt, repetitions, tcpPort, toolPath } from '../config/fields.js';
import type { DutConfig } from '../config/schema.js';
import { startDutServer } from '../remote/dut-process.js';
import { ToolReportedError } from '../remote/errors.js';
import { clientResult } from '../remote/tool-failure.js';
import { jobBase } from './job-base.js';
import { durationIssues, type Endpoint, netdevIssues, netdevsParam, networkJobs, toolSeconds } from './netdevs.js';
import type { Benchmark, Job, JobContext, Repetition } from './types.js';

export interface NetperfSample {
  /** From the banner or PROTOCOL=; undefined for a table printed with -P 0. */
  test: 'TCP_RR' | 'UDP_RR' | undefined;
  transactionsPerSecond: number;
  /** 1 / transactionsPerSecond: one transaction is one request and its response. */
  rttSeconds: number;
  requestSize: number | undefined;
  responseSize: number | undefined;
  elapsedSeconds: number | undefined;
}

type Parsed = Omit<NetperfSample, 'rttSeconds'>;

const opt = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));

// Omni output selection (-k): KEY=value lines, in the order the selectors were given.
function parseKeyValue(text: string): Parsed | undefined {
  // A last line with no newline after it may have been cut short.
  const lines = text.split('\n');
  if (!/\s$/.test(text)) lines.pop();
  const kv = new Map<string, string>();
  for (const line of lines) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trimEnd());
    if (m?.[1] && m[2] !== undefined) kv.set(m[1], m[2]);
  }
  const units = kv.get('THROUGHPUT_UNITS');
  if (units !== undefined && units !== 'Trans/s') {
    throw new Error(`not a netperf request/response test: throughput is in ${units}, not Trans/s`);
  }
  const rate = kv.get('TRANSACTION_RATE') ?? (units ? kv.get('THROUGHPUT') : undefined);
  if (rate === undefined) return undefined;
  const protocol = kv.get('PROTOCOL');
  return {
    test: protocol === 'TCP' ? 'TCP_RR' : protocol === 'UDP' ? 'UDP_RR' : undefined,
    transactionsPerSecond: Number(rate),
    requestSize: opt(kv.get('REQUEST_SIZE')),
    responseSize: opt(kv.get('RESPONSE_SIZE')),
    elapsedSeconds: opt(kv.get('ELAPSED_TIME')),
  };
}

// The classic table, with or without the banner (-P 0):
// MIGRATED TCP REQUEST/RESPONSE TEST from 0.0.0.0 (0.0.0.0) port 0 AF_INET to 198.18.3.2 () port 0 AF_INET : demo : first burst 0
// Local /Remote
// Socket Size   Request  Resp.   Elapsed  Trans.
// Send   Recv   Size     Size    Time     Rate
// bytes  Bytes  bytes    bytes   secs.    per sec
//
// 16384  131072 100      200     3.00     31517.20
// 16384  131072
function parseTable(text: string): Parsed | undefined {
  const banner = /^(?:MIGRATED )?(\w+) (.+?) TEST\b/m.exec(text);
  if (banner && banner[2] !== 'REQUEST/RESPONSE') throw new Error(`not a netperf request/response test: ${banner[0]}`);
  // Six numbers on one line; the rate must be followed by whitespace (netperf pads it), so a row cut
  // inside the rate does not match.
  const row = /^[ \t]*(\d+)[ \t]+(\d+)[ \t]+(\d+)[ \t]+(\d+)[ \t]+([\d.]+)[ \t]+([\d.]+)\s/m.exec(text);
  if (!row) return undefined;
  const protocol = banner?.[1];
  return {
    test: protocol === 'TCP' ? 'TCP_RR' : protocol === 'UDP' ? 'UDP_RR' : undefined,
    transactionsPerSecond: Number(row[6]),
    requestSize: Number(row[3]),
    responseSize: Number(row[4]),
    elapsedSeconds: Number(row[5]),
  };
}

/** Parses netperf 2.x TCP_RR / UDP_RR output: the classic table (with or without banner) or omni `-k` key=value. */
export function parseNetperf(text: string): NetperfSample {
  const parsed = /^[A-Z][A-Z0-9_]*=/m.test(text) ? parseKeyValue(text) : parseTable(text);
  if (!parsed) {
    // netperf prints its errors on stdout and exits 255, e.g.
    // "establish control: are you sure there is a netserver listening on 198.18.3.2 at port 12865?"
    const error = /^.*(?:establish control|netserver|error|netperf:|could not|unable|failed).*$/im.exec(text)?.[0];
    if (error) throw new ToolReportedError(`netperf failed: ${error.trim()}`);
    throw new Error('not netperf TCP_RR/UDP_RR output: no result row nor TRANSACTION_RATE/THROUGHPUT key');
  }
  const tps = parsed.transactionsPerSecond;
  if (!Number.isFinite(tps)) throw new Error('not netperf TCP_RR/UDP_RR output: the transaction rate is not a number');
  if (tps <= 0) throw new Error(`netperf measured no transactions (rate ${tps}/s)`);
  return { ...parsed, rttSeconds: 1 / tps };
}

const protocol = z.enum(['tcp', 'udp']);

const params = z.strictObject({
  netdevs: netdevsParam,
  protocols: z.array(protocol).min(1).default(['tcp', 'udp']),
  request_size: positiveInt(65_507).default(100).meta({ description: 'Bytes per request (the paper: 100)' }),
  response_size: positiveInt(65_507).default(200).meta({ description: 'Bytes per response (the paper: 200)' }),
  duration: duration('10s').prefault('10s').meta({ description: 'Length of one test (netperf -l), whole seconds' }),
  port: tcpPort.default(12865).meta({ description: "netserver's control port" }),
  repetitions: repetitions.optional(),
  timeout: duration('1m').prefault('1m').meta({ description: 'Per repetition; longer than duration' }),
  max_output_bytes: maxOutputBytes,
  path: toolPath.default('netserver').meta({ description: 'netserver on the DUT' }),
  client_path: toolPath.default('netperf').meta({ description: 'netperf on the test machine' }),
});
type Params = z.output<typeof params>;

const family = {
  name: 'edgebench_netperf_rtt_seconds',
  help: 'netperf request/response round-trip latency, 1 / transaction rate (TCP_RR, UDP_RR)',
  labelNames: ['mode', 'netdev', 'protocol'],
};

// -k with named selectors: no dependence on the table's layout; ELAPSED_TIME last, so a cut
// output loses only that optional key
const SELECTORS = 'THROUGHPUT,THROUGHPUT_UNITS,TRANSACTION_RATE,PROTOCOL,DIRECTION,REQUEST_SIZE,RESPONSE_SIZE,ELAPSED_TIME';

async function runOnce(ctx: JobContext, p: Params, ep: Endpoint, proto: 'tcp' | 'udp'): Promise<Repetition> {
  // -f: netserver serves each test itself, not in a child per test, so stopping it is one kill
  const server = await startDutServer(ctx, ep.where, [p.path, '-D', '-f', '-p', String(p.port)], p.port, p.timeout);
  try {
    const test = proto === 'tcp' ? 'TCP_RR' : 'UDP_RR';
    const argv = [p.client_path, '-H', ep.address, '-p', String(p.port), '-t', test, '-l', String(toolSeconds(p.duration)), '-P', '0'];
    argv.push('--', '-r', `${p.request_size},${p.response_size}`, '-k', SELECTORS);
    const sample = await clientResult(ctx, argv, p.timeout, parseNetperf);
    return { values: [sample.rttSeconds] };
  } finally {
    await server.kill();
  }
}

function plan(p: Params, dut: DutConfig, defaults: Pick<Job, 'repetitions'>): Job[] {
  const base = jobBase('netperf', family, p, defaults);
  return networkJobs(
    base,
    p.netdevs,
    dut,
    p.protocols,
    (protocol) => ({ protocol }),
    (ctx, ep, proto) => runOnce(ctx, p, ep, proto),
  );
}

export const netperf: Benchmark<Params> = {
  name: 'netperf',
  versionFlag: '-V',
  families: [family],
  params,
  check: (p, dut) => [...netdevIssues(p.netdevs, dut), ...durationIssues(p.duration, p.timeout)],
  plan,
};
