// promtool unit tests of the generated container-vs-native rules: for each family with native and
// LXC twins, two DUTs whose values give ratios that are exact in float64 (promtool compares
// exactly), on label sets made from the family's label names.
import { stringify } from 'yaml';
import type { ResultFamily } from '../../src/benchmarks/benchmark.js';
import { ratioRecord } from '../../src/metrics/family-names.js';

/** Two values for each label a family may carry; any other label gets "a" and "b". */
const EXAMPLES: Record<string, [string, string]> = {
  instances: ['1', '2'],
  direction: ['transmit', 'receive'],
  protocol: ['tcp', 'udp'],
  suite: ['stream', 'stream2'],
  kernel: ['copy', 'triad'],
};
const TARGET = { job: 'edgebench', instance: 'edgebench:9877' };

type Labels = Record<string, string>;
interface Series {
  labels: Labels;
  value: number;
  native: number;
}
const selector = (name: string, labels: Labels) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;

/**
 * One DUT's series: for both values of the family's first label besides mode and netdev, a native
 * series and one per container netdev. The two natives differ, so pairing a container series with
 * the wrong native gives another ratio than the one expected.
 */
function dutSeries(f: ResultFamily, dut: string, scale: number, lxc: Record<string, number>): Series[] {
  const others = f.labelNames.filter((l) => l !== 'mode' && l !== 'netdev');
  const network = f.labelNames.includes('netdev');
  return [0, 1].flatMap((variant) => {
    const labels: Labels = { ...TARGET, dut };
    others.forEach((l, i) => {
      labels[l] = (EXAMPLES[l] ?? ['a', 'b'])[i === 0 ? variant : 0] as string;
    });
    const native = 4 * scale * (variant + 1) ** 2;
    const where = (netdev: string): Labels => (network ? { netdev } : {});
    return [
      { labels: { ...labels, mode: 'native', ...where('host') }, value: native, native },
      ...Object.entries(lxc).map(([netdev, ratio]) => ({
        labels: { ...labels, mode: 'lxc', ...where(netdev) },
        value: native * ratio,
        native,
      })),
    ];
  });
}

function familyTest(f: ResultFamily) {
  const network = f.labelNames.includes('netdev');
  // without netdev a DUT has one container series per label set
  const series = [
    ...dutSeries(f, 'lab-a', 1, network ? { veth: 1.25, macvlan: 0.75 } : { veth: 1.25 }),
    ...dutSeries(f, 'lab-b', 2, { veth: 0.75 }),
  ];
  return {
    name: `${ratioRecord(f.name)}: each container series against its DUT's native one`,
    interval: '1m',
    input_series: series.map((s) => ({ series: selector(f.name, s.labels), values: `${s.value}x10` })),
    promql_expr_test: [
      {
        expr: ratioRecord(f.name),
        eval_time: '5m',
        exp_samples: series
          .filter((s) => s.labels.mode === 'lxc')
          .map(({ labels: { mode: _, ...labels }, value, native }) => ({
            labels: selector(ratioRecord(f.name), labels),
            value: (value - native) / native,
          })),
      },
    ],
  };
}

export function ratioRuleTests(families: readonly ResultFamily[]): string {
  const doc = {
    rule_files: ['../rules/edgebench-recording.yml'],
    evaluation_interval: '1m',
    tests: families.filter((f) => f.labelNames.includes('mode')).map(familyTest),
  };
  return [
    '# Generated from the benchmark registry (src/benchmarks) by `npm run generate`: do not edit.',
    '# promtool unit tests of the generated lxc_vs_native_ratio rules, one per result family with',
    '# native and LXC twins: two DUTs, two label sets each, ratios of +25% and -25%, no `mode` on the',
    '# result, no matching across DUTs or label sets. recording.yml tests the same rules on the label',
    '# sets and values of a real round.',
    stringify(doc, { lineWidth: 0 }),
  ].join('\n');
}
