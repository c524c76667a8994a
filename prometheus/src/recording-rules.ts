// The container-vs-native recording rules, one per result family of the registry that has native
// and LXC twins. They are written into a marked region of prometheus/rules/edgebench-recording.yml,
// so that the rule files a lab loads stay the same two; the rest of that file is written by hand.
import type { ResultFamily } from '../../src/benchmarks/benchmark.js';
import { ratioRecord, samplesFamily, settledFamily, stddevFamily } from '../../src/metrics/family-names.js';
import { T975_CORNISH_FISHER, T975_TABLE } from '../../src/report/interval.js';

export const REGION_START = '  # --- generated from the benchmark registry (src/benchmarks) by `npm run generate`: do not edit ---';
export const REGION_END = '  # --- end of generated rules ---';

const isNetwork = (f: ResultFamily) => f.labelNames.includes('netdev');

/** Indents every line of a block by `n` spaces. */
const indent = (n: number, text: string) =>
  text
    .split('\n')
    .map((l) => (l ? `${' '.repeat(n)}${l}` : l))
    .join('\n');

function cpuMemoryExpr(m: string): string {
  return [
    '(',
    `    ${m}{mode="lxc"}`,
    '  - ignoring(mode)',
    `    ${m}{mode="native"}`,
    ')',
    '/ ignoring(mode)',
    `  ${m}{mode="native"}`,
  ].join('\n');
}

function networkExpr(m: string): string {
  const native = `${m}{mode="native",netdev="host"}`;
  return [
    'label_replace(',
    '    (',
    `        ${m}{mode="lxc"}`,
    '      - ignoring(mode, netdev) group_left',
    `        ${native}`,
    '    )',
    '    / ignoring(mode, netdev) group_left',
    `      ${native},`,
    '  "mode", "", "", ""',
    ')',
  ].join('\n');
}

/** Student's t, 0.975 quantile, for the degrees of freedom in the series `df` (>= 1). */
export function t975(df: string): string {
  // exact to 6 digits up to 4; beyond, the Cornish-Fisher expansion around z = 1.959964 (4 terms:
  // within 0.01% of the table at 5 and closer above)
  const table = T975_TABLE.map((t, i) => `(${df} == bool ${i + 1}) * ${t}`);
  const [c0, c1, c2, c3, c4] = T975_CORNISH_FISHER;
  const cornishFisher = `(${df} > bool ${T975_TABLE.length}) * (${c0} + ${c1} / ${df} + ${c2} / ${df}^2 + ${c3} / ${df}^3 + ${c4} / ${df}^4)`;
  return [...table, cornishFisher].join('\n+ ');
}

/** The records of one family's container-vs-native comparison. */
export const pairRecord = (family: string, what: 'df' | 'settled' | 'ratio_halfwidth95' | 'ratio_lower95' | 'ratio_upper95') =>
  `dut:${family}:lxc_vs_native_${what}`;
/** The records of each series' own mean: degrees of freedom and the 95% interval's half-width. */
export const seriesRecord = (family: string, what: 'df' | 'halfwidth95') => `dut:${family}:${what}`;

/**
 * How a family's container series meets its native one: `lxc OP native` labelled as the container
 * series without `mode` (see the groups' comments), and a mode-less container series over native.
 */
interface Pairing {
  lxc(metric: string): string;
  native(metric: string): string;
  combine(lxc: string, op: string, native: string): string;
  overNative(x: string, native: string): string;
}
const cpuMemory: Pairing = {
  lxc: (m) => `${m}{mode="lxc"}`,
  native: (m) => `${m}{mode="native"}`,
  combine: (l, op, n) => `(${l}) ${op} ignoring(mode) (${n})`,
  overNative: (x, n) => `(${x}) / ignoring(mode) ${n}`,
};
const network: Pairing = {
  lxc: (m) => `${m}{mode="lxc"}`,
  native: (m) => `${m}{mode="native",netdev="host"}`,
  combine: (l, op, n) => `label_replace((${l}) ${op} ignoring(mode, netdev) group_left() (${n}), "mode", "", "", "")`,
  overNative: (x, n) => `(${x}) / ignoring(mode, netdev) group_left ${n}`,
};

const record = (name: string, expr: string) => `- record: ${name}\n  expr: |\n${indent(4, expr)}`;

/** A family's ratio, then what its 95% interval needs: Welch's, on the difference of the means. */
function pairRules(f: ResultFamily): string[] {
  const p = isNetwork(f) ? network : cpuMemory;
  const [mean, sd, n, settled] = [f.name, stddevFamily(f.name), samplesFamily(f.name), settledFamily(f.name)];
  const df = pairRecord(f.name, 'df');
  const halfwidth = pairRecord(f.name, 'ratio_halfwidth95');
  return [
    record(ratioRecord(f.name), isNetwork(f) ? networkExpr(f.name) : cpuMemoryExpr(f.name)),
    record(pairRecord(f.name, 'settled'), p.combine(p.lxc(settled), '*', p.native(settled))),
    // Welch's conservative degrees of freedom, the smaller sample's n - 1: min(a, b) = (a + b - |a - b|) / 2
    record(df, `(\n    ${p.combine(p.lxc(n), '+', p.native(n))}\n  - abs(${p.combine(p.lxc(n), '-', p.native(n))})\n) / 2 - 1 > 0`),
    record(
      halfwidth,
      `(\n${indent(4, t975(df))}\n)\n* ${p.overNative(`sqrt(${p.combine(`${p.lxc(sd)}^2 / ${p.lxc(n)}`, '+', `${p.native(sd)}^2 / ${p.native(n)}`)})`, p.native(mean))}`,
    ),
    record(pairRecord(f.name, 'ratio_lower95'), `${ratioRecord(f.name)} - ${halfwidth}`),
    record(pairRecord(f.name, 'ratio_upper95'), `${ratioRecord(f.name)} + ${halfwidth}`),
  ];
}

/** Every series' own mean: the half-width of its 95% interval, mean ± t × stddev / √n. */
function seriesRules(f: ResultFamily): string[] {
  const df = seriesRecord(f.name, 'df');
  return [
    record(df, `${samplesFamily(f.name)} - 1 > 0`),
    record(seriesRecord(f.name, 'halfwidth95'), `(\n${indent(4, t975(df))}\n)\n* ${stddevFamily(f.name)} / sqrt(${samplesFamily(f.name)})`),
  ];
}

function group(name: string, comment: string, rules: readonly string[]): string {
  const head = comment
    .split('\n')
    .map((l) => `# ${l}`)
    .join('\n');
  return `${head}\n- name: ${name}\n  rules:\n${indent(4, rules.join('\n'))}`;
}

/** What each family's rules after its ratio are: the groups' comments say it once. */
const PAIR_RULES = [
  'After each ratio: _settled (1 when both series settled), _df (the smaller n - 1), and the 95%',
  "interval of the ratio: Welch's interval on the difference of the means, t(df) x sqrt(sd_lxc^2 /",
  'n_lxc + sd_native^2 / n_native), over the native mean (docs/metrics.md says why), as',
  '_ratio_halfwidth95 and the bounds _ratio_lower95 and _ratio_upper95.',
].join('\n');

/** The generated region's lines, markers included. */
export function ratioRuleRegion(families: readonly ResultFamily[]): string {
  const twins = families.filter((f) => f.labelNames.includes('mode'));
  const groups = [
    group(
      'edgebench_cpu_memory_lxc_vs_native',
      [
        'Families without netdev: each lxc series has exactly one native twin that differs only in',
        '`mode`, so one-to-one matching ignoring(mode) pairs them and drops `mode`.',
        PAIR_RULES,
      ].join('\n'),
      twins.filter((f) => !isNetwork(f)).flatMap(pairRules),
    ),
    group(
      'edgebench_network_lxc_vs_native',
      [
        'Network families: several container series (netdev veth, macvlan) share one native series',
        '(netdev host), so the container side is the "many" side: ignoring(mode, netdev) group_left.',
        'group_left keeps every label of the container side, netdev included (group_left(netdev) would',
        'copy netdev="host" from the native side), but also mode="lxc": label_replace with an empty',
        'value removes it. The perf counts are absent on DUTs whose kernel does not count the event',
        '(edgebench_perf_supported 0): their rules then record nothing for that DUT.',
      ].join('\n'),
      twins.filter(isNetwork).flatMap(pairRules),
    ),
    group(
      'edgebench_series_intervals',
      [
        "Every result series' own 95% interval, mean ± halfwidth95 (Student's t with n - 1 degrees of",
        'freedom, n = the `_samples` companion); none for a mean of one value. The dashboards draw it',
        'as a band; EdgebenchVethTransmitBelowHistory compares its bound with the history.',
      ].join('\n'),
      families.flatMap(seriesRules),
    ),
  ];
  return [REGION_START, indent(2, groups.join('\n\n')), REGION_END].join('\n');
}


/** `text` (the whole rule file) with its generated region replaced; an error if the markers are missing. */
export function withRatioRules(text: string, families: readonly ResultFamily[]): string {
  const start = text.indexOf(REGION_START);
  const end = text.indexOf(REGION_END);
  if (start < 0 || end < start) throw new Error(`the rule file has no generated region (${REGION_START.trim()} ... ${REGION_END.trim()})`);
  return `${text.slice(0, start)}${ratioRuleRegion(families)}${text.slice(end + REGION_END.length)}`;
}
