// The Prometheus side, checked with Debian's own promtool: the lab's prometheus.yml and both rule
// files are valid, the promtool unit tests in prometheus/tests pass, every alert and recording
// rule is tested, and the recording rules give the expected ratios on the label sets and values of
// a real round (test/fixtures/exposition/round.prom).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseExposition, type Sample } from '../../harness/exposition.js';
import { benchmarks } from '../../src/benchmarks/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const recordingFile = 'prometheus/rules/edgebench-recording.yml';
const alertsFile = 'prometheus/rules/edgebench-alerts.yml';
const unitTestFiles = readdirSync(join(root, 'prometheus/tests'))
  .filter((f) => f.endsWith('.yml'))
  .map((f) => `prometheus/tests/${f}`);
const work = mkdtempSync(join(tmpdir(), 'edgebench-promtool-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** promtool from the repository root; fails with what to install when it is missing. */
function promtool(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd: root, encoding: 'utf8', timeout: 180_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error("promtool is not installed: these tests need Debian's prometheus package (lab/install-deps.sh installs it)");
  }
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Nothing but promtool's SUCCESS lines and the names of what it checked. */
function expectClean(output: string): void {
  const noise = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('SUCCESS') && !/^(Checking|Unit Testing:) /.test(l));
  expect(noise).toEqual([]);
}

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
/** The families the registry gives native and LXC twins (a `mode` label): those with a ratio rule. */
const twinFamilies = () => benchmarks.flatMap((b) => b.families.filter((f) => f.labelNames.includes('mode')).map((f) => f.name));

const rulesOf = (file: string): Rule[] =>
  (parse(readFileSync(join(root, file), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

describe('promtool', () => {
  it('accepts prometheus/prometheus.yml and the rule files it loads', () => {
    const r = promtool('check', 'config', 'prometheus/prometheus.yml');
    expect(r.output).toContain('SUCCESS: 2 rule files found');
    expectClean(r.output);
    expect(r.status).toBe(0);
  });

  it('accepts both rule files (check rules, with its duplicate-rules lint)', () => {
    const r = promtool('check', 'rules', recordingFile, alertsFile);
    expect(r.output).toContain(`SUCCESS: ${rulesOf(recordingFile).length} rules found`);
    expect(r.output).toContain(`SUCCESS: ${rulesOf(alertsFile).length} rules found`);
    expectClean(r.output);
    expect(r.status).toBe(0);
  });

  it('passes the unit tests in prometheus/tests', () => {
    const r = promtool('test', 'rules', ...unitTestFiles);
    expect(r.output.match(/SUCCESS/g)?.length ?? 0, r.output).toBe(unitTestFiles.length);
    expectClean(r.output);
    expect(r.status).toBe(0);
    // a guard, not a speed target: the generated tests of every family take a while on a loaded machine
  }, 180_000);
});

describe('the rule files', () => {
  const alerts = rulesOf(alertsFile);
  const records = rulesOf(recordingFile);
  const unitTests = unitTestFiles.map(
    (f) =>
      parse(readFileSync(join(root, f), 'utf8')) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[]; promql_expr_test?: { expr: string }[] }[];
      },
  );
  const alertTests = unitTests.flatMap((u) => u.tests.flatMap((t) => t.alert_rule_test ?? []));
  const exprTests = unitTests.flatMap((u) => u.tests.flatMap((t) => t.promql_expr_test ?? []));

  it('have the six agreed alerts', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      'EdgebenchBenchmarkFailing',
      'EdgebenchDutDown',
      'EdgebenchExporterDown',
      'EdgebenchResultsStale',
      'EdgebenchVethTransmitBelowHistory',
      'EdgebenchVethTransmitRegression',
    ]);
  });

  it('give every alert a severity, a summary, a description and a runbook_url to its section of docs/runbook.md', () => {
    const runbook = readFileSync(join(root, 'docs/runbook.md'), 'utf8');
    for (const a of alerts) {
      expect(a.labels?.severity, a.alert).toMatch(/^(critical|warning|info)$/);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.description, a.alert).toBeTruthy();
      // the user's base (external label edgebench_runbook_url), else the runbook Prometheus serves
      // from the clone (runbook-url.test.ts follows it); the anchor is the heading as GitHub, GitLab
      // and Gitea make it
      expect(a.annotations?.runbook_url, a.alert).toBe(
        `{{ with $externalLabels.edgebench_runbook_url }}{{ . }}{{ else }}{{ $externalURL }}/user/runbook.md{{ end }}#${(a.alert as string).toLowerCase()}`,
      );
      expect(runbook, a.alert).toContain(`\n## ${a.alert}\n`);
    }
  });

  it('have a unit test where each alert fires and one where it does not', () => {
    for (const a of alerts) {
      const tests = alertTests.filter((t) => t.alertname === a.alert);
      expect(
        tests.some((t) => t.exp_alerts.length > 0),
        `${a.alert} fires`,
      ).toBe(true);
      expect(
        tests.some((t) => t.exp_alerts.length === 0),
        `${a.alert} does not fire`,
      ).toBe(true);
    }
  });

  it('have a lxc_vs_native_ratio rule for every result family with native and LXC twins, each with a unit test', () => {
    const families = twinFamilies();
    expect(families.length).toBeGreaterThan(0);
    const ratios = records.filter((r) => r.record?.endsWith(':lxc_vs_native_ratio')).map((r) => r.record);
    expect(ratios.sort()).toEqual(families.map((f) => `dut:${f}:lxc_vs_native_ratio`).sort());
    for (const r of records) {
      expect(
        exprTests.some((t) => t.expr.includes(r.record as string)),
        `${r.record} has a promql_expr_test`,
      ).toBe(true);
    }
  });
});

describe('the recording rules on a real round', () => {
  // The capture's series as Prometheus stores them: with the scrape job's target labels.
  const target = { job: 'edgebench', instance: 'edgebench:9877' };
  const samples: Sample[] = parseExposition(readFileSync(join(root, 'test/fixtures/exposition/round.prom'), 'utf8')).map((s) => ({
    ...s,
    labels: { ...s.labels, ...target },
  }));
  const selector = (name: string, labels: Record<string, string>) =>
    `${name}{${Object.entries(labels)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',')}}`;
  const without = (labels: Record<string, string>, ...drop: string[]) =>
    Object.fromEntries(Object.entries(labels).filter(([k]) => !drop.includes(k)));
  const sameLabels = (a: Record<string, string>, b: Record<string, string>) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
  const sortKeys = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

  /** (lxc - native) / native per lxc series that has a native twin (netdev host for network families). */
  function expectedRatios(family: string): { labels: Record<string, string>; value: number }[] {
    const series = samples.filter((s) => s.name === family);
    return series
      .filter((s) => s.labels.mode === 'lxc')
      .flatMap((lxc) => {
        const native = series.find(
          (n) =>
            n.labels.mode === 'native' &&
            (n.labels.netdev === undefined || n.labels.netdev === 'host') &&
            sameLabels(without(n.labels, 'mode', 'netdev'), without(lxc.labels, 'mode', 'netdev')),
        );
        return native ? [{ labels: without(lxc.labels, 'mode'), value: (lxc.value - native.value) / native.value }] : [];
      });
  }

  const families = twinFamilies();
  const expected = new Map(families.map((f) => [f, expectedRatios(f)]));
  const ratio = (family: string, labels: Record<string, string>) =>
    expected.get(family)?.find((e) => sameLabels(e.labels, { ...labels, ...target }))?.value;

  it('computes the expected ratios from the capture', () => {
    // nuttcp veth transmit: a 100 Mbit/s link, veth within 1% of native
    expect(ratio('edgebench_nuttcp_goodput_bytes_per_second', { dut: 'lab-elxm', netdev: 'veth', direction: 'transmit' })).toBe(
      (11867362.5 - 11959981.25) / 11959981.25,
    );
    expect(ratio('edgebench_sysbench_cpu_duration_seconds', { dut: 'lab-elxm', instances: '4' })).toBe(
      (1.2993124999999999 - 1.2313) / 1.2313,
    );
    // series per rule: every lxc series with its native twin; no perf counts on this kernel
    expect(Object.fromEntries([...expected].map(([f, e]) => [f, e.length]))).toEqual({
      edgebench_sysbench_cpu_duration_seconds: 3,
      edgebench_linpack_flops: 2,
      edgebench_stream_bandwidth_bytes_per_second: 8,
      edgebench_nuttcp_goodput_bytes_per_second: 4,
      edgebench_perf_branch_misses: 0,
      edgebench_perf_l1_dcache_load_misses: 0,
      edgebench_netperf_rtt_seconds: 4,
      edgebench_iperf3_throughput_bytes_per_second: 8,
    });
  });

  it('record exactly those ratios, and no alert fires on it (promtool test rules)', () => {
    const test = {
      rule_files: [join(root, recordingFile), join(root, alertsFile)],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            ...samples.map((s) => ({ series: selector(s.name, s.labels), values: `${s.value}x40` })),
            { series: selector('up', target), values: '1x40' },
          ],
          promql_expr_test: families.map((f) => ({
            expr: `dut:${f}:lxc_vs_native_ratio`,
            eval_time: '35m',
            exp_samples: (expected.get(f) ?? []).map((e) => ({
              labels: selector(`dut:${f}:lxc_vs_native_ratio`, e.labels),
              value: e.value,
            })),
          })),
          alert_rule_test: rulesOf(alertsFile)
            // the capture's timestamps are wall-clock, promtool's clock starts at 0
            .filter((a) => a.alert !== 'EdgebenchResultsStale')
            .map((a) => ({ eval_time: '35m', alertname: a.alert, exp_alerts: [] })),
        },
      ],
    };
    const file = join(work, 'round.test.yml');
    writeFileSync(file, stringify(test));
    const r = promtool('test', 'rules', file);
    expect(r.output).toContain('SUCCESS');
    expectClean(r.output);
    expect(r.status).toBe(0);
  });

  it('make the threshold one number: at 0.1 instead of 0.25, a -15% veth transmit fires', () => {
    const rules = readFileSync(join(root, recordingFile), 'utf8');
    const edited = rules.replace(/(record: edgebench:veth_transmit_regression:threshold_ratio\n\s+expr: )vector\(0\.25\)/, '$1vector(0.1)');
    expect(edited).not.toBe(rules);
    writeFileSync(join(work, 'recording-0.1.yml'), edited);
    const veth = { ...target, dut: 'lab-ebc8', mode: 'lxc', netdev: 'veth', direction: 'transmit' };
    const test = {
      rule_files: [join(work, 'recording-0.1.yml'), join(root, alertsFile)],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          external_url: 'http://localhost:9090',
          // each mean with the companions its interval needs: 1% spread over 6 values, settled
          input_series: [
            [{ ...veth, mode: 'native', netdev: 'host' }, 12000000],
            [veth, 10200000],
          ].flatMap(([labels, mean]) =>
            (
              [
                ['edgebench_nuttcp_goodput_bytes_per_second', mean],
                ['edgebench_nuttcp_goodput_stddev_bytes_per_second', (mean as number) / 100],
                ['edgebench_nuttcp_goodput_samples', 6],
                ['edgebench_nuttcp_goodput_settled', 1],
              ] as const
            ).map(([name, value]) => ({ series: selector(name, labels as Record<string, string>), values: `${value}x60` })),
          ),
          alert_rule_test: [
            {
              eval_time: '40m',
              alertname: 'EdgebenchVethTransmitRegression',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', benchmark: 'nuttcp', ...without(veth, 'mode') },
                  exp_annotations: {
                    summary: 'veth transmit on lab-ebc8 is -15% against native (nuttcp)',
                    description:
                      "On DUT lab-ebc8, nuttcp goodput transmitted from the container on veth is -15% relative to the DUT's native stack, beyond the alert threshold of -10% (the paper measured -7% to -15% on some devices).",
                    runbook_url: 'http://localhost:9090/user/runbook.md#edgebenchvethtransmitregression',
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const file = join(work, 'threshold.test.yml');
    writeFileSync(file, stringify(test));
    const r = promtool('test', 'rules', file);
    expectClean(r.output);
    expect(r.status).toBe(0);
  });

  it('make the stale threshold one number of round periods: at 2 instead of 3, a 2h schedule is stale after 4h', () => {
    const rules = readFileSync(join(root, recordingFile), 'utf8');
    const edited = rules.replace(/(record: edgebench:results_stale:threshold_periods\n\s+expr: )vector\(3\)/, '$1vector(2)');
    expect(edited).not.toBe(rules);
    writeFileSync(join(work, 'recording-2-periods.yml'), edited);
    const dut = { ...target, dut: 'rspi3' };
    const test = {
      rule_files: [join(work, 'recording-2-periods.yml'), join(root, alertsFile)],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          external_url: 'http://localhost:9090',
          input_series: [
            { series: selector('edgebench_round_last_completion_timestamp_seconds', dut), values: '0x300' },
            { series: selector('edgebench_round_duration_seconds', dut), values: '1500x300' },
            { series: selector('edgebench_round_interval_seconds', dut), values: '7200x300' },
            { series: selector('edgebench_dut_up', dut), values: '1x300' },
            { series: selector('edgebench_config_last_reload_success_timestamp_seconds', target), values: '0x300' },
          ],
          alert_rule_test: [
            { eval_time: '4h', alertname: 'EdgebenchResultsStale', exp_alerts: [] },
            {
              eval_time: '4h1m',
              alertname: 'EdgebenchResultsStale',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', ...dut },
                  exp_annotations: {
                    summary: 'No edgebench round completed on rspi3 for 4h 1m 0s',
                    description:
                      'edgebench (edgebench:9877) has not completed a round on DUT rspi3 for 4h 1m 0s, longer than its threshold of 4h 0m 0s (2 round periods, at least 5m 0s): its results in Prometheus are getting old.',
                    runbook_url: 'http://localhost:9090/user/runbook.md#edgebenchresultsstale',
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const file = join(work, 'stale-periods.test.yml');
    writeFileSync(file, stringify(test));
    const r = promtool('test', 'rules', file);
    expectClean(r.output);
    expect(r.status).toBe(0);
  });
});
