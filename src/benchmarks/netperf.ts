// netperf TCP_RR and UDP_RR, 100-byte requests and 200-byte responses, netserver on the DUT and
// netperf on the TM: round-trip latency = 1 / transaction rate (the paper's Fig. 6).
import { z } from 'zod';
import type { DutTarget } from '../config/dut.js';
import { duration, maxOutputBytes, positiveInt, repetitions, tcpPort, toolPath } from '../config/fields.js';
import { startDutServer } from '../remote/dut-process.js';
import { ToolReportedError } from '../remote/errors.js';
import { clientResult } from '../remote/tool-failure.js';
import type { Benchmark, ResultFamily } from './benchmark.js';
import type { Job, JobContext, Repetition } from './job.js';
import { jobBase } from './job-base.js';
import { durationIssues, type Endpoint, netdevIssues, netdevsParam, networkJobs, toolSeconds } from './netdevs.js';

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

/** What one output form printed: values by omni output selector (THROUGHPUT, …), and its column names or keys. */
interface Reading {
  fields: Map<string, string>;
  names: string[];
}

/** A reading, a complete message saying why the text cannot be read, or undefined when it is not that form. */
type Attempt = Reading | string | undefined;

// netperf prints plain decimals ("%.2f", "%d"); Number() would also take "-5", "0x1F", "1e400", or "" as 0
const DECIMAL = /^\d+(?:\.\d+)?$/;
const UNITS = /^\S+\/s$/; // Trans/s, 10^6bits/s, 10^3Bytes/s
const BANNER = /^(?:MIGRATED )?(\w+) (.+?) TEST\b/;
// netperf's own columns never number more than its output selectors (about 150): more is not its output,
// and would only cost memory to split
const MAX_COLUMNS = 512;

const testOf = (protocol: string | undefined): NetperfSample['test'] =>
  protocol === 'TCP' ? 'TCP_RR' : protocol === 'UDP' ? 'UDP_RR' : undefined;

const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 60)}…` : s);

// Omni output selection (-k): KEY=value lines, in the order the selectors were given.
const NETPERF_KEY =
  /^(?:THROUGHPUT(?:_UNITS)?|TRANSACTION_RATE|PROTOCOL|DIRECTION|REQUEST_SIZE|RESPONSE_SIZE|ELAPSED_TIME|[LR]S[SR]_SIZE_(?:REQ|END)|\w+_LATENCY)$/;
function keyValues(lines: string[]): Attempt {
  const fields = new Map<string, string>();
  for (const line of lines) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trimEnd());
    if (m?.[1] && m[2] !== undefined) fields.set(m[1], m[2]);
  }
  // other tools print KEY=value too (hpcc's summary): some key must be one of netperf's selectors
  const names = [...fields.keys()];
  return names.some((k) => NETPERF_KEY.test(k)) ? { fields, names } : undefined;
}

// -o and -O name their columns by the selectors' titles: those edgebench reads, and the others netperf
// prints by default or for latencies, which tell a header as netperf's.
const SELECTOR_OF_TITLE = new Map([
  ['Throughput', 'THROUGHPUT'],
  ['Throughput Units', 'THROUGHPUT_UNITS'],
  ['Transaction Rate Tran/s', 'TRANSACTION_RATE'],
  ['Protocol', 'PROTOCOL'],
  ['Request Size Bytes', 'REQUEST_SIZE'],
  ['Response Size Bytes', 'RESPONSE_SIZE'],
  ['Elapsed Time (sec)', 'ELAPSED_TIME'],
]);
const OTHER_TITLE = /^(?:Direction|(?:Local|Remote) (?:Send|Recv) Socket Size (?:Initial|Final)|.* Latency Microseconds)$/;

/**
 * -O: four header lines, each column's title split over them, then the values; every column is as
 * wide as its widest line and starts where its value starts.
 */
function humanColumns(block: string[]): [string[], string[]] | undefined {
  const values = block[4] as string;
  const starts: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== ' ' && (i === 0 || values[i - 1] === ' ')) {
      if (starts.push(i) > MAX_COLUMNS) return undefined;
    }
  }
  const cell = (line: string, k: number) => line.slice(starts[k], starts[k + 1]).trim();
  const titles = starts.map((_, k) =>
    block
      .slice(0, 4)
      .map((line) => cell(line, k))
      .filter((w) => w !== '')
      .join(' '),
  );
  return [titles, starts.map((_, k) => cell(values, k))];
}

// -o (two lines: titles, then values, comma-separated) and -O (see humanColumns), both after the banner.
function labelledColumns(body: string[]): Attempt {
  let columns: [string[], string[]] | undefined;
  if (body.length === 2) columns = [(body[0] as string).split(',', MAX_COLUMNS + 1), (body[1] as string).split(',', MAX_COLUMNS + 1)];
  else if (body.length === 5) columns = humanColumns(body);
  if (!columns || columns[0].length > MAX_COLUMNS) return undefined;
  const titles = columns[0].map((t) => t.trim());
  const values = columns[1].map((v) => v.trim());
  if (!titles.some((t) => SELECTOR_OF_TITLE.has(t) || OTHER_TITLE.test(t))) return undefined;
  if (titles.length !== values.length)
    return `not netperf TCP_RR/UDP_RR output: ${titles.length} column titles over ${values.length} values`;
  // -O pads its five lines to one width: a padded value line that is shorter was cut (one cut inside
  // a value ends the text without whitespace, and its line is dropped)
  const values5 = body[4] ?? '';
  if (body.length === 5 && values5.endsWith(' ') && body.some((l) => l.length > values5.length)) {
    return 'not netperf TCP_RR/UDP_RR output: its values stop before the last column (truncated?)';
  }
  const fields = new Map<string, string>();
  titles.forEach((t, i) => {
    const selector = SELECTOR_OF_TITLE.get(t);
    if (selector) fields.set(selector, values[i] as string);
  });
  return { fields, names: titles };
}

// The classic table, with or without the banner (-P 0), e.g.
// MIGRATED TCP REQUEST/RESPONSE TEST from 0.0.0.0 (0.0.0.0) port 0 AF_INET to 198.18.3.2 () port 0 AF_INET : demo : first burst 0
// Local /Remote
// Socket Size   Request  Resp.   Elapsed  Trans.
// Send   Recv   Size     Size    Time     Rate
// bytes  Bytes  bytes    bytes   secs.    per sec
//
// 16384  131072 100      200     3.00     31517.20
// 16384  131072
// -v 2 adds a second table below, whose rate is the same.
function tableRow(text: string): Attempt {
  // Six numbers on one line; the rate must be followed by whitespace (netperf pads it), so a row cut
  // inside the rate does not match.
  const row = /^[ \t]*(\d+)[ \t]+(\d+)[ \t]+(\d+)[ \t]+(\d+)[ \t]+([\d.]+)[ \t]+([\d.]+)\s/m.exec(text);
  if (!row) return undefined;
  const fields = new Map([
    ['TRANSACTION_RATE', row[6] as string],
    ['REQUEST_SIZE', row[3] as string],
    ['RESPONSE_SIZE', row[4] as string],
    ['ELAPSED_TIME', row[5] as string],
  ]);
  return { fields, names: [] };
}

// -v 0 prints the rate alone; -o and -O print their values alone under -P 0 (no banner, no titles).
function unlabelledRow(body: string[]): Attempt {
  if (body.length !== 1) return undefined;
  const line = (body[0] as string).trim();
  const values = (line.includes(',') ? line.split(',', 3) : line.split(/\s+/, 3)).map((v) => v.trim());
  const [first = '', second] = values;
  if (values.length === 1 && DECIMAL.test(first)) return { fields: new Map([['THROUGHPUT', first]]), names: [] };
  if (values.length === 2 && DECIMAL.test(first) && second !== undefined && UNITS.test(second)) {
    return {
      fields: new Map([
        ['THROUGHPUT', first],
        ['THROUGHPUT_UNITS', second],
      ]),
      names: [],
    };
  }
  if (values.every((v) => DECIMAL.test(v) || UNITS.test(v))) {
    return 'netperf printed several values without their titles (-P 0): which one is the transaction rate cannot be told; keep the titles (no -P 0), or select THROUGHPUT or TRANSACTION_RATE alone';
  }
  return undefined;
}

function decimal(s: string | undefined, what: string): number | undefined {
  if (s === undefined) return undefined;
  const n = DECIMAL.test(s.trim()) ? Number(s) : Number.NaN;
  if (!Number.isFinite(n)) throw new Error(`not netperf TCP_RR/UDP_RR output: ${what} is not a number ("${clip(s)}")`);
  return n;
}

function sampleOf({ fields, names }: Reading, banner: NetperfSample['test']): NetperfSample | string {
  const units = fields.get('THROUGHPUT_UNITS');
  if (units !== undefined && units !== 'Trans/s') {
    throw new Error(`not a netperf request/response test: throughput is in ${clip(units)}, not Trans/s`);
  }
  // THROUGHPUT alone has no unit: a bulk test's banner has been refused above, and without one (-P 0)
  // the text cannot tell; it is taken as the request/response test this parser is for.
  const rate = fields.get('TRANSACTION_RATE') ?? fields.get('THROUGHPUT');
  if (rate === undefined) {
    const shown = names.slice(0, 8).map(clip).join(', ') + (names.length > 8 ? ', …' : '');
    return `netperf output has no transaction rate: select THROUGHPUT or TRANSACTION_RATE (it shows ${shown})`;
  }
  const tps = decimal(rate, 'the transaction rate') as number;
  // 1 / a rate below about 5e-309 is Infinity
  if (tps <= 0 || !Number.isFinite(1 / tps)) throw new Error(`netperf measured no transactions (rate ${tps}/s)`);
  return {
    test: testOf(fields.get('PROTOCOL')) ?? banner,
    transactionsPerSecond: tps,
    rttSeconds: 1 / tps,
    requestSize: decimal(fields.get('REQUEST_SIZE'), 'REQUEST_SIZE'),
    responseSize: decimal(fields.get('RESPONSE_SIZE'), 'RESPONSE_SIZE'),
    elapsedSeconds: decimal(fields.get('ELAPSED_TIME'), 'ELAPSED_TIME'),
  };
}

/**
 * Parses netperf 2.x TCP_RR / UDP_RR output in each form netperf 2.7.0 prints: the classic table (with
 * or without the banner, -P 0; -v 2 adds a table), the rate alone (-v 0), and omni output selection as
 * key=value (-k) or as columns with their titles (-o, -O) or without them (-P 0: only a lone rate, or a
 * THROUGHPUT,THROUGHPUT_UNITS pair, can be told).
 */
export function parseNetperf(text: string): NetperfSample {
  // A last line with no newline after it may have been cut short.
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (!/\s$/.test(text)) lines.pop();
  const bannerAt = lines.findIndex((l) => BANNER.test(l));
  const banner = bannerAt >= 0 ? BANNER.exec(lines[bannerAt] as string) : null;
  if (banner && banner[2] !== 'REQUEST/RESPONSE') throw new Error(`not a netperf request/response test: ${clip(banner[0])}`);
  const body = lines.slice(bannerAt + 1);
  while (body.length > 0 && (body.at(-1) as string).trim() === '') body.pop();

  const reading = keyValues(lines) ?? labelledColumns(body) ?? tableRow(text) ?? unlabelledRow(body);
  const result = typeof reading === 'object' ? sampleOf(reading, testOf(banner?.[1])) : reading;
  if (typeof result === 'object') return result;
  // netperf prints its errors on stdout and exits 255, e.g.
  // "establish control: are you sure there is a netserver listening on 198.18.3.2 at port 12865?"
  const error = /^.*(?:establish control|netserver|error|netperf:|could not|unable|failed).*$/im.exec(text)?.[0];
  if (error) throw new ToolReportedError(`netperf failed: ${error.trim()}`);
  throw new Error(result ?? 'not netperf TCP_RR/UDP_RR output: no result row nor TRANSACTION_RATE/THROUGHPUT key');
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

const family: ResultFamily = {
  name: 'edgebench_netperf_rtt_seconds',
  help: 'netperf request/response round-trip latency, 1 / transaction rate (TCP_RR, UDP_RR)',
  labelNames: ['mode', 'netdev', 'protocol'],
  title: 'netperf round-trip time',
  paperRef: 'Fig. 6',
  legend: '{{netdev}} {{protocol}}',
  higherIsBetter: false,
  display: { symbol: 'µs', grafana: 'µs', multiplier: 1e6 },
};

// -k with named selectors: no dependence on the table's layout; ELAPSED_TIME last, so a cut
// output loses only that optional key
const SELECTORS = 'THROUGHPUT,THROUGHPUT_UNITS,TRANSACTION_RATE,PROTOCOL,DIRECTION,REQUEST_SIZE,RESPONSE_SIZE,ELAPSED_TIME';

async function measure(ctx: JobContext, p: Params, ep: Endpoint, proto: 'tcp' | 'udp'): Promise<Repetition> {
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

function plan(p: Params, dut: DutTarget, defaults: Pick<Job, 'repetitions'>): Job[] {
  const base = jobBase('netperf', family, p, defaults);
  return networkJobs(
    base,
    p.netdevs,
    dut,
    p.protocols,
    (protocol) => ({ protocol }),
    (ctx, ep, proto) => measure(ctx, p, ep, proto),
  );
}

export const netperf: Benchmark<Params> = {
  name: 'netperf',
  order: 31,
  versionFlag: '-V',
  families: [family],
  params,
  parsers: { netperf: parseNetperf },
  check: (p, dut) => [...netdevIssues(p.netdevs, dut), ...durationIssues(p.duration, p.timeout)],
  plan,
};
