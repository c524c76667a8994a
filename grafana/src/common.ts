// Pieces every edgebench dashboard shares: the datasource and DUT variables, the query builders and
// the transformations that turn instant query tables into the paper's bar charts and tables.
import type * as common from '@grafana/grafana-foundation-sdk/common';
import {
  type DashboardBuilder,
  DatasourceVariableBuilder,
  type DataTransformerConfig,
  QueryVariableBuilder,
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

/** The DUT filter every query carries; `$dut` is multi-valued, Grafana expands it to a regex. */
export const dutMatcher = 'dut=~"$dut"';

/** `metric{dut=~"$dut", extra...}` */
export function selector(metric: string, ...matchers: string[]): string {
  return `${metric}{${[dutMatcher, ...matchers].join(', ')}}`;
}

export function withVariables(dashboard: DashboardBuilder): DashboardBuilder {
  return dashboard.withVariable(new DatasourceVariableBuilder('datasource').label('Datasource').type('prometheus')).withVariable(
    new QueryVariableBuilder('dut')
      .label('DUT')
      .datasource(datasource)
      .query('label_values(edgebench_dut_info, dut)')
      .definition('label_values(edgebench_dut_info, dut)')
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(VariableSort.NaturalAsc)
      .multi(true)
      .includeAll(true)
      // `.*` rather than the list of known DUTs: a DUT whose info series is missing still shows.
      .allValue('.*'),
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
