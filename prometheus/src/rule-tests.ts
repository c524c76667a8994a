// promtool unit tests of the generated container-vs-native rules: for each family with native and
// LXC twins, two DUTs whose values give ratios that are exact in float64 (promtool compares
// exactly), on label sets made from the family's label names.
import { stringify } from 'yaml';
import type { ResultFamily } from '../../src/benchmarks/benchmark.js';
import { ratioRecord, samplesFamily, settledFamily, stddevFamily } from '../../src/metrics/family-names.js';
import { t975 } from '../../src/report/interval.js';
import { pairRecord, seriesRecord } from './recording-rules.js';

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


// Each series' spread and count: the container's from 4 values, native's from 5 (df 3), an eighth
// of the mean as standard deviation (exact in binary), every series settled.
const N_LXC = 4;
const N_NATIVE = 5;
const sdOf = (value: number) => value / 8;
const nOf = (s: Series) => (s.labels.mode === 'native' ? N_NATIVE : N_LXC);

/** The input series of a family's test: each mean with its three companions. */
function inputs(f: ResultFamily, series: Series[]) {
  return series.flatMap((s) => [
    { series: selector(f.name, s.labels), values: `${s.value}x10` },
    { series: selector(stddevFamily(f.name), s.labels), values: `${sdOf(s.value)}x10` },
    { series: selector(samplesFamily(f.name), s.labels), values: `${nOf(s)}x10` },
    { series: selector(settledFamily(f.name), s.labels), values: '1x10' },
  ]);
}

const check = (record: string, samples: { labels: Labels; value: number }[]) => ({
  expr: record,
  eval_time: '5m',
  exp_samples: samples.map(({ labels, value }) => ({ labels: selector(record, labels), value })),
});

/** Every series' own interval: df = n - 1, half-width t × sd / √n. */
function seriesChecks(f: ResultFamily, series: Series[]) {
  return [
    check(
      seriesRecord(f.name, 'df'),
      series.map((s) => ({ labels: s.labels, value: nOf(s) - 1 })),
    ),
    check(
      seriesRecord(f.name, 'halfwidth95'),
      series.map((s) => ({ labels: s.labels, value: (t975(nOf(s) - 1) * sdOf(s.value)) / Math.sqrt(nOf(s)) })),
    ),
  ];
}

function familyTest(f: ResultFamily) {
  const network = f.labelNames.includes('netdev');
  // without netdev a DUT has one container series per label set
  const series = [
    ...dutSeries(f, 'lab-a', 1, network ? { veth: 1.25, macvlan: 0.75 } : { veth: 1.25 }),
    ...dutSeries(f, 'lab-b', 2, { veth: 0.75 }),
  ];
  const pairs = series
    .filter((s) => s.labels.mode === 'lxc')
    .map(({ labels: { mode: _, ...labels }, value, native }) => {
      const ratio = (value - native) / native;
      const df = Math.min(N_LXC, N_NATIVE) - 1;
      const half = (t975(df) * Math.sqrt(sdOf(value) ** 2 / N_LXC + sdOf(native) ** 2 / N_NATIVE)) / native;
      return { labels, ratio, df, half };
    });
  const pairCheck = (record: string, value: (p: (typeof pairs)[number]) => number) =>
    check(
      record,
      pairs.map((p) => ({ labels: p.labels, value: value(p) })),
    );
  return {
    name: `${ratioRecord(f.name)} and its interval: each container series against its DUT's native one`,
    interval: '1m',
    input_series: inputs(f, series),
    promql_expr_test: [
      pairCheck(ratioRecord(f.name), (p) => p.ratio),
      pairCheck(pairRecord(f.name, 'settled'), () => 1),
      pairCheck(pairRecord(f.name, 'df'), (p) => p.df),
      pairCheck(pairRecord(f.name, 'ratio_halfwidth95'), (p) => p.half),
      pairCheck(pairRecord(f.name, 'ratio_lower95'), (p) => p.ratio - p.half),
      pairCheck(pairRecord(f.name, 'ratio_upper95'), (p) => p.ratio + p.half),
      ...seriesChecks(f, series),
    ],
  };
}

/** A family without native twins (what the container itself costs): only its series' own interval. */
function soloTest(f: ResultFamily) {
  const labels: Labels = { ...TARGET, dut: 'lab-a' };
  for (const l of f.labelNames) labels[l] = (EXAMPLES[l] ?? ['a', 'b'])[0] as string;
  const series = [{ labels, value: 12, native: 12 }];
  return {
    name: `${seriesRecord(f.name, 'halfwidth95')}: the interval of a series' own mean`,
    interval: '1m',
    input_series: inputs(f, series),
    promql_expr_test: seriesChecks(f, series),
  };
}

export function ratioRuleTests(families: readonly ResultFamily[]): string {
  const doc = {
    rule_files: ['../rules/edgebench-recording.yml'],
    evaluation_interval: '1m',
    tests: families.map((f) => (f.labelNames.includes('mode') ? familyTest(f) : soloTest(f))),
  };
  return [
    '# Generated from the benchmark registry (src/benchmarks) by `npm run generate`: do not edit.',
    '# promtool unit tests of the generated rules, one per result family. A family with native and LXC',
    '# twins: two DUTs, two label sets each, ratios of +25% and -25%, no `mode` on the result, no',
    '# matching across DUTs or label sets, and each ratio\'s interval and settled flag (the expected',
    '# values are computed as the rules compute them; intervals.yml has two computed by hand). Every',
    '# family: its series\' own interval. recording.yml tests the ratios on a real round\'s label sets.',
    stringify(doc, { lineWidth: 0 }),
  ].join('\n');
}
