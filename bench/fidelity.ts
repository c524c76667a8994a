// Fidelity: does edgebench report what the tool itself measures?
//
// For sysbench time, nuttcp goodput, netperf RTT and iperf3 throughput, natively and in a container,
// the value `edgebench run` reports (mean of one repetition, from its `job done` log) against the same
// command line run directly (README's "Benchmarks" table): sysbench and servers over plain OpenSSH,
// `lxc-attach` for a container, clients spawned on the test machine. A and B interleaved, A B A B,
// PAIRS pairs per case; the result is the median of the pair ratios edgebench/direct, target
// 0.98-1.02. The lab's DUT link is shaped like the paper's 100 Mbit/s ports (--shape none: unshaped).
// 15 pairs by default: on a shared VM netperf's RTT moves by 10-50% between consecutive runs (the
// transaction rate follows how idle the CPUs are), and 7 pairs left medians of 1.04-1.08 by chance.
//
//   npx tsc -p bench/tsconfig.json && node dist-bench/bench/fidelity.js [--pairs 15] [--shape 100mbit] [--lab bnfid] [--only TEXT]
//   (--only: the cases whose name contains TEXT, e.g. "netperf host")

import { requireRoot } from '../harness/lab.js';
import { endpoint, type Netdev, onDut, parseDirect, withServer } from './lib/direct.js';
import { edgebenchRun, options } from './lib/exec.js';
import { type Lab, ssh, withLab, writeConfig } from './lib/lab.js';
import { fixed, machine, median, table, verdict } from './lib/report.js';

const o = options({ pairs: '15', shape: '100mbit', lab: 'bnfid', only: '' });
const SELECTORS = 'THROUGHPUT,THROUGHPUT_UNITS,TRANSACTION_RATE,PROTOCOL,DIRECTION,REQUEST_SIZE,RESPONSE_SIZE,ELAPSED_TIME';
// the lab's own settings (lab/edgebench-lab writes them)
const EVENTS = 2000;
const NUTTCP_S = 5;
const NETPERF_S = 3;
const IPERF3_S = 3;

interface Case {
  name: string;
  unit: string;
  benchmark: string;
  params: Record<string, unknown>;
  direct: (lab: Lab) => Promise<number>;
}

function sysbenchCase(mode: 'native' | 'lxc'): Case {
  const argv = ['sysbench', 'cpu', '--cpu-max-prime=10000', `--events=${EVENTS}`, '--time=0', '--threads=1', 'run'];
  return {
    name: `sysbench ${mode} 1 instance`,
    unit: 's',
    benchmark: 'sysbench',
    params: { modes: [mode], instances: [1], events: EVENTS },
    async direct(lab) {
      const where = mode === 'native' ? 'native' : ((lab.dut.containers as { pool: string[] }).pool[0] as string);
      const r = await ssh(lab, onDut(lab, where, argv));
      return parseDirect.sysbench(r.stdout);
    },
  };
}

function nuttcpCase(netdev: Netdev): Case {
  return {
    name: `nuttcp ${netdev} transmit`,
    unit: 'Mbit/s',
    benchmark: 'nuttcp',
    params: { netdevs: [netdev], directions: ['transmit'], duration: `${NUTTCP_S}s` },
    async direct(lab) {
      const { where, address } = endpoint(lab, netdev);
      const client = ['nuttcp', '-r', `-T${NUTTCP_S}`, '-P5000', '-p5001', '-fparse', address];
      return parseDirect.nuttcp(await withServer(lab, where, ['nuttcp', '-S', '--nofork', '-P5000'], 5000, client));
    },
  };
}

function netperfCase(netdev: Netdev): Case {
  return {
    name: `netperf ${netdev} TCP_RR`,
    unit: 'µs',
    benchmark: 'netperf',
    params: { netdevs: [netdev], protocols: ['tcp'], duration: `${NETPERF_S}s` },
    async direct(lab) {
      const { where, address } = endpoint(lab, netdev);
      const client = ['netperf', '-H', address, '-p', '12865', '-t', 'TCP_RR', '-l', `${NETPERF_S}`, '-P', '0'];
      client.push('--', '-r', '100,200', '-k', SELECTORS);
      return parseDirect.netperf(await withServer(lab, where, ['netserver', '-D', '-f', '-p', '12865'], 12865, client));
    },
  };
}

function iperf3Case(netdev: Netdev): Case {
  return {
    name: `iperf3 ${netdev} receive 1 instance`,
    unit: 'Mbit/s',
    benchmark: 'iperf3',
    params: { netdevs: [netdev], directions: ['receive'], instances: [1], duration: `${IPERF3_S}s` },
    async direct(lab) {
      const { where, address } = endpoint(lab, netdev);
      const client = ['iperf3', '-c', address, '-p', '5201', '-t', `${IPERF3_S}`, '-J'];
      return parseDirect.iperf3(await withServer(lab, where, ['iperf3', '-s', '-p', '5201'], 5201, client));
    },
  };
}

const all: Case[] = [
  sysbenchCase('native'),
  sysbenchCase('lxc'),
  nuttcpCase('host'),
  nuttcpCase('veth'),
  netperfCase('host'),
  netperfCase('veth'),
  iperf3Case('host'),
  iperf3Case('veth'),
];
const cases = all.filter((c) => c.name.includes(o.only));

// in the unit printed: Mbit/s for rates (B/s x 8 / 10^6), µs for the RTT
const shown = (c: Case, v: number) => (c.unit === 'Mbit/s' ? (v * 8) / 1e6 : c.unit === 'µs' ? v * 1e6 : v);

requireRoot('this benchmark');
const pairs = Number(o.pairs);
const shape = o.shape === 'none' ? [] : ['--shape', o.shape];
console.log(`# fidelity: edgebench vs direct, ${pairs} interleaved pairs per case, DUT link ${o.shape}\n# ${machine()}`);

await withLab(o.lab, shape, async (lab) => {
  const rows: (string | number)[][] = [];
  const missed: string[] = [];
  for (const c of cases) {
    const config = writeConfig(lab, `${c.benchmark}-${c.name.replaceAll(' ', '-')}.yml`, { benchmarks: { [c.benchmark]: c.params } });
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < pairs; i++) {
      const r = await edgebenchRun(config);
      const job = r.jobs.find((j) => j.msg === 'job done');
      if (r.code !== 0 || job?.mean === undefined) throw new Error(`edgebench run failed (${c.name}):\n${r.stderr}`);
      a.push(job.mean);
      b.push(await c.direct(lab));
      process.stderr.write(`${c.name}: pair ${i + 1}/${pairs}: edgebench ${a.at(-1)} direct ${b.at(-1)}\n`);
    }
    const ratio = median(a.map((v, i) => v / (b[i] as number)));
    rows.push([
      c.name,
      c.unit,
      fixed(shown(c, median(a)), 3),
      fixed(shown(c, median(b)), 3),
      fixed(ratio, 4),
      fixed(Math.min(...a.map((v, i) => v / (b[i] as number))), 3),
      fixed(Math.max(...a.map((v, i) => v / (b[i] as number))), 3),
    ]);
    if (!(ratio >= 0.98 && ratio <= 1.02)) missed.push(`${c.name}: median ratio ${ratio.toFixed(4)} outside 0.98-1.02`);
  }
  console.log(table(['case', 'unit', 'edgebench median', 'direct median', 'median ratio', 'min ratio', 'max ratio'], rows));
  verdict(missed);
});
