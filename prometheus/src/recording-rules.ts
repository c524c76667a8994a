// The container-vs-native recording rules, one per result family of the registry that has native
// and LXC twins. They are written into a marked region of prometheus/rules/edgebench-recording.yml,
// so that the rule files a lab loads stay the same two; the rest of that file is written by hand.
import type { ResultFamily } from '../../src/benchmarks/benchmark.js';
import { ratioRecord } from '../../src/metrics/family-names.js';

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

function rule(f: ResultFamily): string {
  const expr = isNetwork(f) ? networkExpr(f.name) : cpuMemoryExpr(f.name);
  return `- record: ${ratioRecord(f.name)}\n  expr: |\n${indent(4, expr)}`;
}

function group(name: string, comment: string, families: readonly ResultFamily[]): string {
  const head = comment
    .split('\n')
    .map((l) => `# ${l}`)
    .join('\n');
  return `${head}\n- name: ${name}\n  rules:\n${indent(4, families.map(rule).join('\n'))}`;
}

/** The generated region's lines, markers included. */
export function ratioRuleRegion(families: readonly ResultFamily[]): string {
  const twins = families.filter((f) => f.labelNames.includes('mode'));
  const groups = [
    group(
      'edgebench_cpu_memory_lxc_vs_native',
      [
        'Families without netdev: each lxc series has exactly one native twin that differs only in',
        '`mode`, so one-to-one matching ignoring(mode) pairs them and drops `mode`.',
      ].join('\n'),
      twins.filter((f) => !isNetwork(f)),
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
      twins.filter(isNetwork),
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
