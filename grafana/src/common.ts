// Pieces every edgebench dashboard shares: the variables, navigation and annotations, the query
// builders and the transformations that turn instant query tables into the paper's bar charts and tables.
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';
import {
  type AnnotationQuery,
  AnnotationQueryBuilder,
  type DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  type DataTransformerConfig,
  type DynamicConfigValue,
  QueryVariableBuilder,
  TextBoxVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import type { DisplayUnit, ResultFamily } from '../../src/benchmarks/benchmark.js';
import { benchmarks } from '../../src/benchmarks/index.js';

// Every panel, target and variable query goes through the datasource variable, so one dashboard
// serves any Prometheus that scrapes edgebench.
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
export const datasource: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** The DUT filter every query of a DUT's series carries; `$dut` is multi-valued, Grafana expands it to a regex. */
export const dutMatcher = 'dut=~"$dut"';

/**
 * The exporter filter every query carries: a lab with several test machines has an edgebench per
 * machine (docs/scale-out.md), each its own `instance` (and maybe `job`).
 */
export const exporterMatchers = ['job=~"$job"', 'instance=~"$instance"'] as const;

/** `metric{dut=~"$dut", job=~"$job", instance=~"$instance", extra...}`: a series of a DUT. */
export function selector(metric: string, ...matchers: string[]): string {
  return `${metric}{${[dutMatcher, ...exporterMatchers, ...matchers].join(', ')}}`;
}

/** `metric{job=~"$job", instance=~"$instance", extra...}`: a series of the exporter itself (process, configuration, journal). */
export function exporterSelector(metric: string, ...matchers: string[]): string {
  return `${metric}{${[...exporterMatchers, ...matchers].join(', ')}}`;
}

/**
 * A `process_*` series of the edgebench exporters only: Prometheus scrapes other processes too, and
 * `$job` and `$instance` are `.*` when All is selected.
 */
export function edgebenchProcess(metric: string): string {
  return `${exporterSelector(metric)} and on(job, instance) ${exporterSelector('edgebench_exporter_build_info')}`;
}

/** The labels of result families that have a dashboard variable where panels mix their values. */
export const familyVariables = ['netdev', 'direction', 'instances'] as const;
export type FamilyVariable = (typeof familyVariables)[number];

/** The matchers of the `variables` that `family` has a label for (`netdev=~"$netdev"`, …). */
export function familyMatchers(family: ResultFamily, variables: readonly FamilyVariable[] = familyVariables): string[] {
  return variables.filter((v) => family.labelNames.includes(v)).map((v) => `${v}=~"$${v}"`);
}

/** `selector` of a family's series, or of a series derived from it with its labels, with the family variables applied. */
export function familySelector(metric: string, family: ResultFamily, variables: readonly FamilyVariable[] = familyVariables): string {
  return selector(metric, ...familyMatchers(family, variables));
}

/** Where the runbook and the alerts are: Prometheus serves docs/ at /user/ (docker-compose.yml). */
export const prometheusUrlVariable = 'prometheus_url';

/** A multi-valued query variable whose All is `.*`, refreshed with the time range. */
function queryVariable(name: string, label: string, query: string, sort = VariableSort.NaturalAsc): QueryVariableBuilder {
  return (
    new QueryVariableBuilder(name)
      .label(label)
      .datasource(datasource)
      .query(query)
      .definition(query)
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(sort)
      .multi(true)
      .includeAll(true)
      // `.*` rather than the list of known values: a series whose label the list missed still shows.
      .allValue('.*')
  );
}

/** The result families with a label, as a `__name__` regex for label_values(). */
function familiesWith(label: string): string {
  return resultFamilies()
    .filter((f) => f.labelNames.includes(label))
    .map((f) => f.name)
    .join('|');
}

const variableQueries = (): Record<FamilyVariable, [label: string, query: string, sort: VariableSort]> => ({
  netdev: [
    'netdev',
    // netdev is "" for the benchmarks that measure no network path: not a choice of its own (All shows them)
    `label_values(edgebench_benchmark_success{${[dutMatcher, ...exporterMatchers, 'netdev!=""'].join(', ')}}, netdev)`,
    VariableSort.NaturalAsc,
  ],
  direction: [
    'direction',
    `label_values({${[`__name__=~"${familiesWith('direction')}"`, dutMatcher, ...exporterMatchers].join(', ')}}, direction)`,
    VariableSort.NaturalAsc,
  ],
  instances: [
    'instances',
    `label_values({${[`__name__=~"${familiesWith('instances')}"`, dutMatcher, ...exporterMatchers].join(', ')}}, instances)`,
    VariableSort.NumericalAsc,
  ],
});

/**
 * The variables: datasource, the exporter (`job`, `instance`), `dut`, the family labels a dashboard
 * mixes in its panels, and the Prometheus URL its links use.
 */
export function withVariables(dashboard: DashboardBuilder, variables: readonly FamilyVariable[] = []): DashboardBuilder {
  dashboard
    .withVariable(new DatasourceVariableBuilder('datasource').label('Datasource').type('prometheus'))
    .withVariable(queryVariable('job', 'job', 'label_values(edgebench_exporter_build_info, job)'))
    .withVariable(queryVariable('instance', 'exporter', 'label_values(edgebench_exporter_build_info{job=~"$job"}, instance)'))
    .withVariable(queryVariable('dut', 'DUT', `label_values(edgebench_dut_info{${exporterMatchers.join(', ')}}, dut)`));
  for (const v of variables) dashboard.withVariable(queryVariable(v, ...variableQueries()[v]));
  return dashboard.withVariable(
    new TextBoxVariableBuilder(prometheusUrlVariable)
      .label('Prometheus')
      .description("Prometheus' external URL, for the links to the runbook it serves at /user/runbook.md and to its alerts page")
      .defaultValue('http://localhost:9090'),
  );
}

/**
 * `builder`, built without `placement`: the SDK sets every link and annotation to
 * `inControlsMenu`, which Grafana 12 tucks into a "dashboard controls" menu (and drops a
 * dashboards-type link from); without it they show above the panels, as Grafana's own editor adds them.
 */
export function abovePanels<T extends { placement?: unknown }>(builder: cog.Builder<T>): cog.Builder<T> {
  return {
    build: () => {
      const { placement: _, ...rest } = builder.build();
      return rest as T;
    },
  };
}

/**
 * A shared crosshair, the links between the edgebench dashboards (by tag, carrying the variables and
 * the time range) and to the runbook and alerts that Prometheus serves.
 */
export function withNavigation(dashboard: DashboardBuilder): DashboardBuilder {
  const prometheus = `\${${prometheusUrlVariable}}`;
  return dashboard
    .tooltip(DashboardCursorSync.Crosshair)
    .link(
      abovePanels(
        new DashboardLinkBuilder('edgebench')
          .type(DashboardLinkType.Dashboards)
          .tags(['edgebench'])
          .asDropdown(false)
          .includeVars(true)
          .keepTime(true),
      ),
    )
    .link(
      abovePanels(
        new DashboardLinkBuilder('Runbook')
          .type(DashboardLinkType.Link)
          .url(`${prometheus}/user/runbook.md`)
          .icon('doc')
          .tooltip('docs/runbook.md, served by Prometheus (--web.user-assets): one section per alert, and how to change the thresholds')
          .targetBlank(true),
      ),
    )
    .link(
      abovePanels(
        new DashboardLinkBuilder('Alerts')
          .type(DashboardLinkType.Link)
          .url(`${prometheus}/alerts`)
          .icon('bolt')
          .tooltip("Prometheus' alerts page: the edgebench alerting rules and what fires")
          .targetBlank(true),
      ),
    );
}

/** The current value of each series, as table rows (labels as columns): the paper's figures are snapshots. */
export function instantTable(refId: string, expr: string): DataqueryBuilder {
  return new DataqueryBuilder().datasource(datasource).refId(refId).expr(expr).instant().format(PromQueryFormat.Table);
}

/** A series over the dashboard's time range. */
export function rangeSeries(refId: string, expr: string, legendFormat: string): DataqueryBuilder {
  return new DataqueryBuilder()
    .datasource(datasource)
    .refId(refId)
    .expr(expr)
    .range()
    .format(PromQueryFormat.TimeSeries)
    .legendFormat(legendFormat);
}

// Grafana names a table query's value column `Value #<refId>` when a panel has several queries.
export const valueColumn = (refId: string): string => `Value #${refId}`;

/** Joins the queries' tables on their common label columns into one table. */
export const merge: DataTransformerConfig = { id: 'merge', options: {} };

/**
 * Sorts rows by a label that holds a number (instances): labels are strings, and "16" sorts before "2".
 * The field goes back to a string because the bar chart wants a string x axis.
 */
export function sortNumerically(field: string): DataTransformerConfig[] {
  const convert = (destinationType: 'number' | 'string'): DataTransformerConfig => ({
    id: 'convertFieldType',
    options: { conversions: [{ targetField: field, destinationType }], fields: {} },
  });
  return [convert('number'), { id: 'sortBy', options: { fields: {}, sort: [{ field, desc: false }] } }, convert('string')];
}

/** Puts the columns in `order`, renamed as given, and drops Time and the columns in `drop`. */
export function organize(order: [field: string, displayName: string][], drop: string[]): DataTransformerConfig {
  const excludeByName: Record<string, boolean> = { Time: true };
  for (const field of drop) excludeByName[field] = true;
  const indexByName: Record<string, number> = {};
  const renameByName: Record<string, string> = {};
  order.forEach(([field, displayName], index) => {
    indexByName[field] = index;
    if (displayName !== field) renameByName[field] = displayName;
  });
  return { id: 'organize', options: { excludeByName, indexByName, renameByName } };
}

/** A PromQL number as people write it: 1e6 rather than 1000000. */
function promNumber(n: number): string {
  for (let k = 3; k <= 12; k++) if (n === 10 ** k) return `1e${k}`;
  return String(n);
}

/** `expr` converted from the family's base unit to the unit it is shown in (the paper's). */
export function inDisplayUnit(expr: string, unit: DisplayUnit): string {
  const times = unit.multiplier === undefined ? '' : ` * ${promNumber(unit.multiplier)}`;
  const over = unit.divisor === undefined ? '' : ` / ${promNumber(unit.divisor)}`;
  return `${expr}${times}${over}`;
}

/** Whether a family has native and LXC twins that a recording rule compares. */
export const hasNativeTwin = (family: ResultFamily): boolean => family.labelNames.includes('mode');

/** Every result family of the registry, in the order a round measures them. */
export const resultFamilies = (): ResultFamily[] => benchmarks.flatMap((b) => [...b.families]);

/** A PromQL string literal. */
const promString = (s: string): string => JSON.stringify(s);

/** A family's name on the dashboards: its title and the paper's figure or table. */
export const titleOf = (family: ResultFamily): string => (family.paperRef ? `${family.title} (${family.paperRef})` : family.title);

/**
 * `expr` with the labels `family` (the family's title) and `better` (`higher` or `lower`): series
 * of several families in one table stay apart, and a change can be read without knowing the family.
 * `expr` must have no metric name left (an operator drops it): set operators match rows of several
 * queries on their labels, and Grafana's merge on the table columns.
 */
export function labelledByFamily(expr: string, family: ResultFamily): string {
  const better = family.higherIsBetter ? 'higher' : 'lower';
  return `label_replace(label_replace(${expr}, "family", ${promString(titleOf(family))}, "", ""), "better", "${better}", "", "")`;
}

/** One query over several families: each family's `exprOf`, labelled by family, joined with `or`. */
export function everyFamily(families: readonly ResultFamily[], exprOf: (family: ResultFamily) => string): string {
  return families.map((f) => labelledByFamily(exprOf(f), f)).join(' or ');
}

/** The recorded alert thresholds (prometheus/rules/edgebench-recording.yml, group edgebench_alert_thresholds). */
export const thresholdRecords = {
  vethTransmitRegression: 'edgebench:veth_transmit_regression:threshold_ratio',
  vethTransmitBelowHistory: 'edgebench:veth_transmit_below_history:threshold_ratio',
} as const;

/** Field config of a series drawn as a thin dashed line without fill: interval bounds, thresholds. */
export function dashedLine(dash: [number, number]): DynamicConfigValue[] {
  return [
    { id: 'custom.lineStyle', value: { fill: 'dash', dash } },
    { id: 'custom.lineWidth', value: 1 },
    { id: 'custom.fillOpacity', value: 0 },
  ];
}

/** An annotation of the exporters' own series, above the panels, tagged by instance. */
function exporterAnnotation(
  name: string,
  color: string,
  expr: string,
  title: string,
  text: string,
  atValue: boolean,
): cog.Builder<AnnotationQuery> {
  const query = new AnnotationQueryBuilder().name(name).datasource(datasource).enable(true).iconColor(color).expr(expr);
  // with atValue, the value is a time: Grafana places the annotation there (in ms), not at each step
  if (atValue) query.useValueForTime(true);
  return abovePanels(query.step('60s').titleFormat(title).textFormat(text).tagKeys('instance'));
}

/** When an exporter process started: every start is one annotation, at the start time itself. */
export function exporterStarts(scope = ''): cog.Builder<AnnotationQuery> {
  return exporterAnnotation(
    'Exporter starts',
    'blue',
    `(${edgebenchProcess('process_start_time_seconds')}) * 1000${scope}`,
    'edgebench started',
    '{{job}} {{instance}}: the exporter (re)started; results came back from the journal',
    true,
  );
}

/**
 * Successful configuration reloads (SIGHUP, /-/reload), at their time; the first load, a few
 * seconds after the process started, is the start's annotation, not a reload.
 */
export function configReloads(scope = ''): cog.Builder<AnnotationQuery> {
  const loaded = exporterSelector('edgebench_config_last_reload_success_timestamp_seconds');
  return exporterAnnotation(
    'Configuration reloads',
    'purple',
    `(${loaded} * 1000 and ${loaded} - ${exporterSelector('process_start_time_seconds')} > 30)${scope}`,
    'configuration reloaded',
    '{{job}} {{instance}}: new configuration in effect (benchmark parameters, schedule, DUTs may have changed)',
    true,
  );
}

/** While the last configuration reload failed (the previous configuration still runs). */
export function configReloadFailures(scope = ''): cog.Builder<AnnotationQuery> {
  return exporterAnnotation(
    'Failed configuration reloads',
    'orange',
    `(${exporterSelector('edgebench_config_last_reload_successful')} == 0)${scope}`,
    'configuration reload failed',
    '{{job}} {{instance}}: the previous configuration is still running; check-config says why',
    false,
  );
}

/**
 * A benchmark's parameters (its config_hash) or its DUT-side tool version changed: a new
 * edgebench_benchmark_info series, one it did not have 5 minutes before (a region of 5 minutes
 * from the round that first ran with them).
 */
export function benchmarkChanges(): cog.Builder<AnnotationQuery> {
  const info = selector('edgebench_benchmark_info');
  return abovePanels(
    new AnnotationQueryBuilder()
      .name('Benchmark parameters or tool version changed')
      .datasource(datasource)
      .enable(true)
      .iconColor('yellow')
      .expr(`${info} unless ${info} offset 5m`)
      .step('60s')
      .titleFormat('{{benchmark}}: new parameters or tool version')
      .textFormat('{{dut}}: config_hash {{config_hash}}, tool {{tool_version}}')
      .tagKeys('benchmark'),
  );
}

/** Restricts an exporter-level annotation to the exporters of the selected DUTs (append to its expr). */
export const ofSelectedDuts = ` and on(job, instance) ${selector('edgebench_dut_info')}`;
