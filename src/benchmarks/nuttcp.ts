// nuttcp, one TCP bulk stream between the TM (client) and a server on the DUT: goodput in each
// direction (the paper's Fig. 5).
import { z } from 'zod';
import type { DutTarget } from '../config/dut.js';
import { duration, maxOutputBytes, repetitions, tcpPort, toolPath } from '../config/fields.js';
import { startDutServer } from '../remote/dut-process.js';
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
import { PERF_FAMILIES, parsePerfStat, startPerf } from './perf.js';

export interface NuttcpSample {
  /** Bytes transferred: nuttcp's "MB" are 2^20 bytes. */
  bytes: number;
  /** Real (wall) time of the transfer, as printed (two decimals). */
  seconds: number;
  goodputBytesPerSecond: number;
  transmitterCpuPercent: number | undefined;
  receiverCpuPercent: number | undefined;
  /** TCP only. */
  retransmits: number | undefined;
  /** TCP only; nuttcp prints it when the client transmits. */
  rttSeconds: number | undefined;
  /** UDP only. */
  droppedPackets: number | undefined;
  packets: number | undefined;
  lossPercent: number | undefined;
}

const MIB = 1024 * 1024;

// The summary line of the default output, e.g.
//  3941.2500 MB /   3.00 sec = 11020.3244 Mbps 72 %TX 39 %RX 0 retrans 0.16 msRTT
//  1416.3418 MB /  10.00 sec = 1188.1121 Mbps 85 %TX 26 %RX 104429 / 1554763 drop/pkt 6.72 %loss
// Interval reports (-i) have no %TX/%RX. Anchored at the line's end, so a line cut inside a number
// does not match.
const HUMAN =
  /^[ \t]*([\d.]+) MB \/[ \t]+([\d.]+) sec =[ \t]+([\d.]+) Mbps ([\d.]+) %TX ([\d.]+) %RX(?: (\d+) retrans)?(?: ([\d.]+) msRTT)?(?: (\d+) \/ (\d+) drop\/pkt)?(?: ([\d.]+) %loss)?[ \t]*$/gm;

// nuttcp prints plain decimals; Number() would also take "-5", "0x1F", "1e400" or "" (as 0). Anything
// else is NaN here, which parseNuttcp refuses.
const DECIMAL = /^\d+(?:\.\d+)?$/;
const opt = (s: string | undefined, scale = 1): number | undefined =>
  s === undefined ? undefined : DECIMAL.test(s) ? Number(s) * scale : Number.NaN;

function fromMbps(mbps: number): number {
  // nuttcp's Mbps are 10^6 bit/s of the bytes over the unrounded real time: this is bytes / real
  // seconds, more precise than dividing by the printed seconds (±0.005 s).
  return (mbps * 1e6) / 8;
}

function parseHuman(text: string): NuttcpSample | undefined {
  const m = [...text.matchAll(HUMAN)].at(-1);
  if (!m) return undefined;
  return {
    bytes: Math.round(Number(m[1]) * MIB),
    seconds: Number(m[2]),
    goodputBytesPerSecond: fromMbps(Number(m[3])),
    transmitterCpuPercent: Number(m[4]),
    receiverCpuPercent: Number(m[5]),
    retransmits: opt(m[6]),
    rttSeconds: opt(m[7], 1e-3),
    droppedPackets: opt(m[8]),
    packets: opt(m[9]),
    lossPercent: opt(m[10]),
  };
}

// -fparse: one line of key=value, e.g.
// megabytes=4092.6017 real_seconds=3.00 rate_Mbps=11433.1452 tx_cpu=74 rx_cpu=39 retrans=0 rtt_ms=0.29
function parseKeyValue(text: string): NuttcpSample | undefined {
  // A value at the very end of the text, with nothing after it, may have been cut short. Found
  // without /\S+$/, which retries from every character of a long word (quadratic).
  let end = text.length;
  while (end > 0 && !/\s/.test(text[end - 1] as string)) end--;
  const complete = end === text.length ? text : text.slice(0, end);
  for (const line of complete.split('\n').reverse()) {
    // key=value words, split by hand: /(\w+)=/ would rescan a long word without "=" from each of its characters
    const kv = new Map<string, string>();
    for (const word of line.split(/\s+/)) {
      const eq = word.indexOf('=');
      if (eq > 0 && eq < word.length - 1 && /^\w+$/.test(word.slice(0, eq))) kv.set(word.slice(0, eq), word.slice(eq + 1));
    }
    const num = (key: string, scale = 1) => opt(kv.get(key), scale);
    const megabytes = num('megabytes');
    const seconds = num('real_seconds');
    const mbps = num('rate_Mbps');
    if (megabytes === undefined || seconds === undefined || mbps === undefined) continue;
    return {
      bytes: Math.round(megabytes * MIB),
      seconds,
      goodputBytesPerSecond: fromMbps(mbps),
      transmitterCpuPercent: num('tx_cpu'),
      receiverCpuPercent: num('rx_cpu'),
      retransmits: num('retrans'),
      rttSeconds: num('rtt_ms', 1e-3),
      droppedPackets: num('drop'),
      packets: num('pkt'),
      lossPercent: num('data_loss'),
    };
  }
  return undefined;
}

/** Parses a nuttcp client's output: the default summary line or `-fparse` key=value (nuttcp 6.x to 8.x). */
export function parseNuttcp(text: string): NuttcpSample {
  // e.g. "nuttcp-r: v6.1.2: Error: connect: Connection refused" (on stderr, exit status 1)
  const error = /^nuttcp-\w+:.*\bError: .*$/m.exec(text)?.[0];
  if (error) throw new ToolReportedError(`nuttcp failed: ${error.trim()}`);
  const sample = parseHuman(text) ?? parseKeyValue(text);
  if (!sample)
    throw new Error('not nuttcp output: no complete "MB / sec = Mbps" summary nor -fparse "megabytes= real_seconds= rate_Mbps="');
  for (const [key, value] of Object.entries(sample)) {
    if (value !== undefined && !Number.isFinite(value)) throw new Error(`not nuttcp output: ${key} is not a number`);
  }
  if (sample.seconds <= 0) throw new Error(`nuttcp reported a real time of ${sample.seconds} s`);
  if (sample.goodputBytesPerSecond <= 0) throw new Error('nuttcp measured no goodput (0 Mbps)');
  return sample;
}

const params = z.strictObject({
  netdevs: netdevsParam,
  directions: directionsParam,
  duration: duration('10s').prefault('10s').meta({ description: 'Length of one transfer (nuttcp -T), whole seconds' }),
  control_port: tcpPort.default(5000),
  data_port: tcpPort.default(5001),
  perf: z.boolean().default(false).meta({
    description: 'Count branch-misses and L1-dcache-load-misses system-wide on the DUT during each transfer (needs perf there)',
  }),
  perf_path: toolPath.default('perf'),
  repetitions: repetitions.optional(),
  timeout: duration('1m').prefault('1m').meta({ description: 'Per repetition; longer than duration' }),
  max_output_bytes: maxOutputBytes,
  path: toolPath.default('nuttcp').meta({ description: 'nuttcp on the DUT (server)' }),
  client_path: toolPath.default('nuttcp').meta({ description: 'nuttcp on the test machine (client)' }),
});
type Params = z.output<typeof params>;

const family: ResultFamily = {
  name: 'edgebench_nuttcp_goodput_bytes_per_second',
  help: 'nuttcp goodput of one TCP bulk stream between the test machine and the DUT, direction seen from the DUT',
  labelNames: ['mode', 'netdev', 'direction'],
  title: 'nuttcp goodput',
  paperRef: 'Fig. 5',
  legend: '{{netdev}} {{direction}}',
  higherIsBetter: true,
  display: { symbol: 'Mbit/s', grafana: 'Mbits', multiplier: 8, divisor: 1e6 },
};

async function measure(ctx: JobContext, p: Params, ep: Endpoint, dir: Direction): Promise<Repetition> {
  const perf = p.perf ? startPerf(ctx, p.perf_path, p.timeout) : undefined;
  try {
    const server = await startDutServer(ctx, ep.where, [p.path, '-S', '--nofork', `-P${p.control_port}`], p.control_port, p.timeout);
    let sample: NuttcpSample;
    try {
      // -r: the client receives, so the DUT transmits
      const flag = dir === 'transmit' ? '-r' : '-t';
      const argv = [p.client_path, flag, `-T${toolSeconds(p.duration)}`, `-P${p.control_port}`, `-p${p.data_port}`, '-fparse', ep.address];
      sample = await clientResult(ctx, argv, p.timeout, parseNuttcp);
    } finally {
      await server.kill();
    }
    return { values: [sample.goodputBytesPerSecond], extra: perf ? await perf.counts() : undefined };
  } finally {
    await perf?.kill();
  }
}

function plan(p: Params, dut: DutTarget, defaults: Pick<Job, 'repetitions'>): Job[] {
  const base = jobBase('nuttcp', family, p, defaults);
  return networkJobs(
    base,
    p.netdevs,
    dut,
    p.directions,
    (direction) => ({ direction }),
    (ctx, ep, dir) => measure(ctx, p, ep, dir),
  );
}

export const nuttcp: Benchmark<Params> = {
  name: 'nuttcp',
  order: 30,
  versionFlag: '-V',
  families: [family, ...PERF_FAMILIES],
  params,
  parsers: { nuttcp: parseNuttcp, perf: parsePerfStat },
  check: (p, dut) => [...netdevIssues(p.netdevs, dut), ...durationIssues(p.duration, p.timeout)],
  plan,
};
