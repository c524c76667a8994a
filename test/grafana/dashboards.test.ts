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
import { benchmarks } from '../../src/benchmarks/index.js';
import { allPanels, annotationQueries, committedDashboards, dashboardsDir, panelQueries, substituteMacros } from './panel-queries.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const committedDir = fileURLToPath(dashboardsDir);
const work = mkdtempSync(join(tmpdir(), 'edgebench-grafana-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const datasourceVariable = { type: 'prometheus', uid: '${datasource}' };
const uids = ['edgebench-lab-health', 'edgebench-overhead-trends', 'edgebench-paper-figures'];

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
  templating: { list?: Record<string, unknown>[] };
  panels?: Panel[];
  annotations: { list?: { name?: string; datasource?: unknown; expr?: string }[] };
}

describe('dashboard structure', () => {
  // As Grafana reads them: JSON.
  const all = Object.values(dashboards()).map((dashboard) => JSON.parse(render(dashboard)) as Dashboard);

  it('has the three agreed, unique uids, one file each named after the uid', () => {
    expect(all.map((d) => d.uid).sort()).toEqual(uids);
    expect(Object.keys(dashboards()).sort()).toEqual(uids.map((uid) => `${uid}.json`));
  });

  it.each(all.map((d) => [d.uid, d] as const))('%s: datasource and dut variables', (_uid, dashboard) => {
    const variables = dashboard.templating.list ?? [];
    expect(variables.map((v) => v.name)).toEqual(['datasource', 'dut']);
    expect(variables[0]).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(variables[1]).toMatchObject({
      type: 'query',
      datasource: datasourceVariable,
      query: 'label_values(edgebench_dut_info, dut)',
      multi: true,
      includeAll: true,
    });
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
          expect(target.expr, `${where} ${target.refId}: DUT filter`).toContain('dut=~"$dut"');
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
        expect(annotation.expr).toContain('dut=~"$dut"');
      }
    },
  );

  it('annotates the overhead trends with the firing Prometheus alerts', () => {
    const trends = all.find((d) => d.uid === 'edgebench-overhead-trends');
    expect(trends?.annotations.list?.map((a) => a.expr)).toEqual(['ALERTS{alertstate="firing", dut=~"$dut"}']);
  });

  it('queries only metrics the exporter exposes and rules prometheus/ records', () => {
    const exposed = new Set(
      [...readFileSync(join(root, 'test/fixtures/exposition/round.prom'), 'utf8').matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]),
    );
    const recording = parse(readFileSync(join(root, 'prometheus/rules/edgebench-recording.yml'), 'utf8')) as {
      groups: { rules: { record?: string }[] }[];
    };
    const recorded = new Set(recording.groups.flatMap((g) => g.rules.map((r) => r.record)));
    const queries = [...panelQueries(), ...annotationQueries()];
    const names = new Set(queries.flatMap((q) => q.expr.match(/\b(?:edgebench_\w+|dut:\w+:\w+)/g) ?? []));
    expect([...names].filter((name) => !(name.startsWith('dut:') ? recorded : exposed).has(name))).toEqual([]);
    // One trend panel per ratio rule: one per result family of the registry with native and LXC twins.
    const ratios = [...recorded].filter((name) => name?.endsWith(':lxc_vs_native_ratio'));
    const twins = benchmarks.flatMap((b) => b.families.filter((f) => f.labelNames.includes('mode')));
    expect(ratios.length).toBe(twins.length);
    for (const ratio of ratios) expect(names).toContain(ratio);
  });
});

describe('panel queries', () => {
  it('substitutes the DUT variable in each of its forms and the interval macros', () => {
    expect(substituteMacros('up{dut=~"$dut"}')).toBe('up{dut=~".*"}');
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
      expect(q.expr).toContain('dut=~".*"');
    }
    expect(annotationQueries().map((a) => a.expr)).toEqual(['ALERTS{alertstate="firing", dut=~".*"}']);
    // The perf table (two queries) and the two perf trends.
    expect(queries.filter((q) => q.needsPerfCounters).map((q) => `${q.panel} ${q.refId}`)).toEqual([
      'perf branch-misses: LXC vs native A',
      'perf L1-dcache-load-misses: LXC vs native A',
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
