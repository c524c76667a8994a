// The Grafana dashboards: the committed JSON is the generator's output, its structure holds what
// provisioning and the DUT variable need, and every query is PromQL that Prometheus's parser accepts.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${name}` in these strings is Grafana's variable syntax
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { dashboards, render } from '../../grafana/src/index.js';
import { pairRecord, seriesRecord } from '../../prometheus/src/recording-rules.js';
import { benchmarks } from '../../src/benchmarks/index.js';
import { ratioRecord, samplesFamily, settledFamily, stddevFamily } from '../../src/metrics/family-names.js';
import {
  allPanels,
  annotationQueries,
  committedDashboards,
  dashboardsDir,
  metricNames,
  panelQueries,
  queryVariables,
  substituteMacros,
} from './panel-queries.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const committedDir = fileURLToPath(dashboardsDir);
const work = mkdtempSync(join(tmpdir(), 'edgebench-grafana-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const datasourceVariable = { type: 'prometheus', uid: '${datasource}' };
const uids = ['edgebench-lab-health', 'edgebench-overhead-trends', 'edgebench-paper-figures'];
const families = benchmarks.flatMap((b) => [...b.families]);
const twins = families.filter((f) => f.labelNames.includes('mode'));

/** Series of the exporter itself, not of a DUT: they carry job and instance but no dut. */
const exporterLevel = (name: string) => /^(process_|edgebench_config_|edgebench_journal_|edgebench_exporter_build_info$)/.test(name);

/**
 * Each metric a query reads, with the matchers it is selected with: a DUT's series must carry the
 * dut, job and instance filters, an exporter's the job and instance ones, a lab-wide record (an
 * alert threshold, `edgebench:…`) none. Returns what is missing, as readable lines.
 */
function missingFilters(expr: string): string[] {
  const missing: string[] = [];
  for (const m of expr.matchAll(/\b(edgebench_\w+|process_\w+|dut:\w+:\w+|edgebench:\w+:\w+)(\{[^}]*\})?/g)) {
    const [, name, matchers = ''] = m as unknown as [string, string, string | undefined];
    if (name.startsWith('edgebench:')) continue;
    const needed = [...(exporterLevel(name) ? [] : ['dut=~"$dut"']), 'job=~"$job"', 'instance=~"$instance"'];
    for (const n of needed) if (!matchers.includes(n)) missing.push(`${name}${matchers}: ${n}`);
  }
  return missing;
}

/** File names under `dir` whose content differs from `expected` (missing and extra files included). */
function differences(dir: string, expected: Record<string, string>): string[] {
  const present = readdirSync(dir).filter((name) => name.endsWith('.json'));
  const names = [...new Set([...present, ...Object.keys(expected)])].sort();
  return names.filter((name) => !present.includes(name) || readFileSync(join(dir, name), 'utf8') !== expected[name]);
}

const generated = (): Record<string, string> =>
  Object.fromEntries(Object.entries(dashboards()).map(([name, dashboard]) => [name, render(dashboard)]));

describe('committed dashboards', () => {
  it('are what the generator produces now', () => {
    expect(differences(committedDir, generated()), 'grafana/dashboards/ is not the generator output: run npm run generate').toEqual([]);
  });
});

interface Target {
  refId?: string;
  datasource?: unknown;
  expr?: string;
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: unknown;
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: Target[];
  transformations?: unknown[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  graphTooltip?: number;
  links?: { title?: string; type?: string; tags?: string[]; url?: string; includeVars?: boolean; keepTime?: boolean }[];
  templating: { list?: Record<string, unknown>[] };
  panels?: Panel[];
  annotations: { list?: { name?: string; datasource?: unknown; expr?: string; useValueForTime?: boolean }[] };
}

describe('dashboard structure', () => {
  // As Grafana reads them: JSON.
  const all = Object.values(dashboards()).map((dashboard) => JSON.parse(render(dashboard)) as Dashboard);

  it('has the three agreed, unique uids, one file each named after the uid', () => {
    expect(all.map((d) => d.uid).sort()).toEqual(uids);
    expect(Object.keys(dashboards()).sort()).toEqual(uids.map((uid) => `${uid}.json`));
  });

  const extraVariables: Record<string, string[]> = {
    'edgebench-lab-health': ['netdev'],
    'edgebench-overhead-trends': ['netdev', 'direction', 'instances'],
    'edgebench-paper-figures': [],
  };

  it.each(all.map((d) => [d.uid, d] as const))('%s: datasource, job, instance and dut variables', (uid, dashboard) => {
    const variables = dashboard.templating.list ?? [];
    expect(variables.map((v) => v.name)).toEqual([
      'datasource',
      'job',
      'instance',
      'dut',
      ...(extraVariables[uid] ?? []),
      'prometheus_url',
    ]);
    expect(variables[0]).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const v of variables.slice(1, -1)) {
      expect(queryVariables, `${uid} ${v.name}`).toContain(v.name);
      expect(v, `${uid} ${v.name}`).toMatchObject({
        type: 'query',
        datasource: datasourceVariable,
        multi: true,
        includeAll: true,
        allValue: '.*',
      });
    }
    expect(variables[1]).toMatchObject({ query: 'label_values(edgebench_exporter_build_info, job)' });
    expect(variables[2]).toMatchObject({ query: 'label_values(edgebench_exporter_build_info{job=~"$job"}, instance)' });
    expect(variables[3]).toMatchObject({ query: 'label_values(edgebench_dut_info{job=~"$job", instance=~"$instance"}, dut)' });
    expect(variables.at(-1)).toMatchObject({ type: 'textbox', name: 'prometheus_url', query: 'http://localhost:9090' });
  });

  it.each(all.map((d) => [d.uid, d] as const))('%s: shared crosshair, links to the other dashboards and the runbook', (_uid, dashboard) => {
    expect(dashboard.graphTooltip).toBe(1);
    expect(dashboard.links).toEqual([
      expect.objectContaining({ type: 'dashboards', tags: ['edgebench'], includeVars: true, keepTime: true }),
      expect.objectContaining({ title: 'Runbook', type: 'link', url: '${prometheus_url}/user/runbook.md' }),
      expect.objectContaining({ title: 'Alerts', type: 'link', url: '${prometheus_url}/alerts' }),
    ]);
    // above the panels, not in Grafana 12's controls menu (which drops a dashboards-type link)
    for (const item of [...(dashboard.links ?? []), ...(dashboard.annotations.list ?? [])]) expect(item).not.toHaveProperty('placement');
  });

  it.each(all.map((d) => [d.uid, d] as const))(
    '%s: unique panel ids, titles, units, the datasource variable everywhere',
    (_uid, dashboard) => {
      const panels = allPanels(dashboard);
      const ids = panels.map((p) => p.id);
      expect(ids.every((id) => Number.isInteger(id))).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of panels) {
        if (p.type === 'row') continue;
        const where = `${dashboard.uid} panel ${p.id} (${p.title})`;
        expect(p.title, where).toBeTruthy();
        expect(p.fieldConfig?.defaults?.unit, `${where}: unit`).toBeTruthy();
        expect(p.datasource, `${where}: datasource`).toEqual(datasourceVariable);
        const targets = p.targets ?? [];
        expect(targets.length, `${where}: targets`).toBeGreaterThan(0);
        expect(new Set(targets.map((t) => t.refId)).size, `${where}: refIds`).toBe(targets.length);
        for (const target of targets) {
          expect(target.datasource, `${where} ${target.refId}: datasource`).toEqual(datasourceVariable);
          expect(metricNames(target.expr ?? ''), `${where} ${target.refId}: reads a metric`).not.toEqual([]);
          expect(missingFilters(target.expr ?? ''), `${where} ${target.refId}: DUT and exporter filters`).toEqual([]);
        }
        // Transformations name value columns `Value #<refId>`: each must be a query of the panel.
        const named = JSON.stringify(p.transformations ?? []).match(/Value #[A-Z]+/g) ?? [];
        for (const column of named)
          expect(
            targets.map((t) => `Value #${t.refId}`),
            `${where}: ${column}`,
          ).toContain(column);
      }
      for (const annotation of dashboard.annotations.list ?? []) {
        expect(annotation.datasource, `${dashboard.uid} annotation ${annotation.name}`).toEqual(datasourceVariable);
        expect(missingFilters(annotation.expr ?? ''), `${dashboard.uid} annotation ${annotation.name}`).toEqual([]);
      }
    },
  );

  it('annotates the overhead trends with firing alerts, exporter starts, configuration reloads and benchmark changes', () => {
    const trends = all.find((d) => d.uid === 'edgebench-overhead-trends');
    const annotations = trends?.annotations.list ?? [];
    expect(annotations.map((a) => a.name)).toEqual([
      'Firing alerts',
      'Exporter starts',
      'Configuration reloads',
      'Benchmark parameters or tool version changed',
    ]);
    expect(annotations[0]?.expr).toBe('ALERTS{dut=~"$dut", job=~"$job", instance=~"$instance", alertstate="firing"}');
    // starts and reloads at their own time (the series value, in ms), for the exporters of the selected DUTs
    for (const a of annotations.slice(1, 3)) {
      expect(a.useValueForTime, a.name).toBe(true);
      expect(a.expr, a.name).toContain('* 1000');
      expect(a.expr, a.name).toMatch(/ and on\(job, instance\) edgebench_dut_info\{dut=~"\$dut", job=~"\$job", instance=~"\$instance"\}$/);
    }
    expect(annotations[1]?.expr).toContain('process_start_time_seconds');
    expect(annotations[2]?.expr).toContain('edgebench_config_last_reload_success_timestamp_seconds');
    // a new edgebench_benchmark_info series: new parameters (config_hash) or a new tool version
    expect(annotations[3]?.expr).toBe(
      'edgebench_benchmark_info{dut=~"$dut", job=~"$job", instance=~"$instance"} unless edgebench_benchmark_info{dut=~"$dut", job=~"$job", instance=~"$instance"} offset 5m',
    );
    const health = all.find((d) => d.uid === 'edgebench-lab-health');
    expect(health?.annotations.list?.map((a) => a.name)).toEqual([
      'Exporter starts',
      'Configuration reloads',
      'Failed configuration reloads',
    ]);
  });

  it('draws each trend with its 95% interval, and the regression threshold on the nuttcp and iperf3 changes', () => {
    const trends = all.find((d) => d.uid === 'edgebench-overhead-trends') as Dashboard;
    const panels = allPanels(trends).filter((p) => p.type === 'timeseries');
    expect(panels.length).toBe(families.length);
    const exprs = (p: Panel) => (p.targets ?? []).map((t) => t.expr ?? '');
    for (const family of families) {
      const panel = panels.find((p) => exprs(p)[0]?.includes(twins.includes(family) ? ratioRecord(family.name) : `${family.name}{`));
      expect(panel, family.name).toBeDefined();
      const [, lower, upper, threshold] = exprs(panel as Panel);
      if (twins.includes(family)) {
        expect(lower).toContain(`${pairRecord(family.name, 'ratio_lower95')}{`);
        expect(upper).toContain(`${pairRecord(family.name, 'ratio_upper95')}{`);
      } else {
        expect(lower).toContain(` - ${seriesRecord(family.name, 'halfwidth95')}{`);
        expect(upper).toContain(` + ${seriesRecord(family.name, 'halfwidth95')}{`);
      }
      const alerted = ['edgebench_nuttcp_goodput_bytes_per_second', 'edgebench_iperf3_throughput_bytes_per_second'].includes(family.name);
      expect(threshold, family.name).toBe(alerted ? '-edgebench:veth_transmit_regression:threshold_ratio' : undefined);
    }
  });

  it("tables every family's latest change with its interval, settled and significance", () => {
    const trends = all.find((d) => d.uid === 'edgebench-overhead-trends') as Dashboard;
    const table = allPanels(trends).find((p) => p.type === 'table');
    const [change, lower, upper, settled, significant] = (table?.targets ?? []).map((t) => t.expr ?? '');
    for (const family of twins) {
      expect(change).toContain(`${ratioRecord(family.name)}{`);
      expect(lower).toContain(`${pairRecord(family.name, 'ratio_lower95')}{`);
      expect(upper).toContain(`${pairRecord(family.name, 'ratio_upper95')}{`);
      expect(settled).toContain(`${pairRecord(family.name, 'settled')}{`);
      expect(significant).toContain(`${pairRecord(family.name, 'ratio_lower95')}{`);
    }
  });

  it('shows in lab health which result series did not settle, every series of every family', () => {
    const health = all.find((d) => d.uid === 'edgebench-lab-health') as Dashboard;
    const settledQueries = allPanels(health)
      .flatMap((p) => p.targets ?? [])
      .map((t) => t.expr ?? '')
      .filter((e) => e.includes('_settled{'));
    expect(settledQueries.length).toBe(2); // the count per DUT and the table
    for (const expr of settledQueries) for (const family of families) expect(expr).toContain(`${settledFamily(family.name)}{`);
  });

  it('queries only metrics the exporter exposes and rules prometheus/ records', () => {
    // The recorded round, and what the exporter renders for every family of the registry that the
    // recording predates (lxc_startup's families, the _samples and _settled companions, benchmark info).
    const exposed = new Set([
      ...[...readFileSync(join(root, 'test/fixtures/exposition/round.prom'), 'utf8').matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]),
      ...families.flatMap((f) => [f.name, stddevFamily(f.name), samplesFamily(f.name), settledFamily(f.name)]),
      'edgebench_benchmark_info',
    ]);
    const recording = parse(readFileSync(join(root, 'prometheus/rules/edgebench-recording.yml'), 'utf8')) as {
      groups: { rules: { record?: string }[] }[];
    };
    const recorded = new Set(recording.groups.flatMap((g) => g.rules.map((r) => r.record)));
    const queries = [...panelQueries(), ...annotationQueries()];
    const names = new Set(queries.flatMap((q) => metricNames(q.expr)));
    const isRecord = (name: string) => name.startsWith('dut:') || name.startsWith('edgebench:');
    expect([...names].filter((name) => !(isRecord(name) ? recorded : exposed).has(name))).toEqual([]);
    // One trend panel per ratio rule: one per result family of the registry with native and LXC twins.
    const ratios = [...recorded].filter((name) => name?.endsWith(':lxc_vs_native_ratio'));
    expect(ratios.length).toBe(twins.length);
    for (const ratio of ratios) expect(names).toContain(ratio);
  });
});

describe('panel queries', () => {
  it('substitutes the query variables in each of their forms and the interval macros', () => {
    expect(substituteMacros('up{dut=~"$dut"}')).toBe('up{dut=~".*"}');
    expect(
      substituteMacros('up{job=~"$job", instance=~"$instance", instances=~"$instances", netdev=~"${netdev}"}', { instance: 'tm-a' }),
    ).toBe('up{job=~".*", instance=~"tm-a", instances=~".*", netdev=~".*"}');
    expect(substituteMacros('up{dut=~"${dut}", x=~"${dut:regex}", y=~"[[dut]]"}', { dut: 'a|b' })).toBe(
      'up{dut=~"a|b", x=~"a|b", y=~"a|b"}',
    );
    expect(substituteMacros('rate(x[$__rate_interval]) + rate(x[$__interval]) + increase(x[$__range])')).toBe(
      'rate(x[1m]) + rate(x[1m]) + increase(x[1m])',
    );
    expect(substituteMacros('x[${__range}] / $__range_s / $__interval_ms', { range: '2h', interval: '30s' })).toBe('x[2h] / 7200 / 30000');
    // Not a Grafana variable: label_replace's capture group, and names Grafana does not know, stay.
    expect(substituteMacros('label_replace(x, "a", "$1", "b", "(.*)") + $dutx')).toBe('label_replace(x, "a", "$1", "b", "(.*)") + $dutx');
  });

  it('lists every panel query, instant or range, with nothing left for Grafana to substitute', () => {
    const queries = panelQueries();
    const targets = Object.values(committedDashboards()).flatMap((d) => allPanels(d).flatMap((p) => p.targets ?? []));
    expect(queries.length).toBe(targets.length);
    expect(queries.filter((q) => q.instant).length).toBeGreaterThan(0);
    expect(queries.filter((q) => !q.instant).length).toBeGreaterThan(0);
    for (const q of queries) {
      expect(q.panel).toBeTruthy();
      expect(q.expr, `${q.dashboard} ${q.panel} ${q.refId}`).not.toMatch(/\$\{?[A-Za-z_]|\[\[/);
    }
    const annotations = annotationQueries();
    expect(annotations.length).toBe(7);
    for (const a of annotations) expect(a.expr, `${a.dashboard} ${a.name}`).not.toMatch(/\$\{?[A-Za-z_]|\[\[/);
    // The perf table (two queries) and the two perf trends with their interval bounds; the tables
    // over every family read perf counts too, but return the other families' rows without them.
    expect(queries.filter((q) => q.needsPerfCounters).map((q) => `${q.panel} ${q.refId}`)).toEqual([
      'perf branch-misses: LXC vs native A',
      'perf branch-misses: LXC vs native B',
      'perf branch-misses: LXC vs native C',
      'perf L1-dcache-load-misses: LXC vs native A',
      'perf L1-dcache-load-misses: LXC vs native B',
      'perf L1-dcache-load-misses: LXC vs native C',
      'Perf counters per netdev during a nuttcp transfer A',
      'Perf counters per netdev during a nuttcp transfer B',
    ]);
  });

  it("parses every substituted query with Prometheus's own parser (promtool check rules)", () => {
    const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
    if (found.status !== 0)
      throw new Error("promtool is not installed: this test needs Debian's prometheus package (lab/install-deps.sh installs it)");
    // promtool 2.42 has no parse-only command; recording rules are parsed with the full PromQL parser.
    const queries = [...panelQueries(), ...annotationQueries()];
    const file = join(work, 'dashboard-queries.yml');
    writeFileSync(
      file,
      stringify({
        groups: [{ name: 'grafana_dashboard_queries', rules: queries.map((q, i) => ({ record: `grafana_query_${i}`, expr: q.expr })) }],
      }),
    );
    const check = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    expect(check.stdout).toContain(`SUCCESS: ${queries.length} rules found`);
  });
});
