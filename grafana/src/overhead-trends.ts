// "Overhead trends": per result family of the registry, the recorded container-vs-native change
// over time with its 95% interval (or, for a family with no native twin, its value with the
// interval of its mean), the alert thresholds, a table of every family's latest change, and what
// explains a step: firing alerts, exporter restarts, configuration reloads and benchmark parameter
// or tool version changes, as annotations.
import {
  LegendDisplayMode,
  LegendPlacement,
  LineInterpolation,
  TableSortByFieldStateBuilder,
  VizLegendOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  AnnotationQueryBuilder,
  type Dashboard,
  DashboardBuilder,
  type DynamicConfigValue,
  FieldColorBuilder,
  FieldColorModeId,
  MappingType,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import { pairRecord, seriesRecord } from '../../prometheus/src/recording-rules.js';
import type { ResultFamily } from '../../src/benchmarks/benchmark.js';
import { ratioRecord } from '../../src/metrics/family-names.js';
import {
  abovePanels,
  benchmarkChanges,
  configReloads,
  dashedLine,
  datasource,
  everyFamily,
  exporterStarts,
  familySelector,
  familyVariables,
  hasNativeTwin,
  inDisplayUnit,
  instantTable,
  merge,
  ofSelectedDuts,
  organize,
  rangeSeries,
  resultFamilies,
  selector,
  thresholdRecords,
  titleOf,
  valueColumn,
  withNavigation,
  withVariables,
} from './common.js';

/**
 * The families EdgebenchVethTransmitRegression watches (prometheus/rules/edgebench-alerts.yml): their
 * change panels draw its threshold.
 */
const REGRESSION_ALERT_FAMILIES = ['edgebench_nuttcp_goodput_bytes_per_second', 'edgebench_iperf3_throughput_bytes_per_second'];

/**
 * An interval bound: a thin dashed line in its series' colour (the bounds share the mean's legend,
 * and the palette colours by name), out of the legend and the tooltip. Grafana's fill between two
 * series (fillBelowTo) pairs series by fixed names, which a panel of any number of DUTs and label
 * values cannot name in advance: the band is drawn by its edges.
 */
const bound: DynamicConfigValue[] = [...dashedLine([4, 4]), { id: 'custom.hideFrom', value: { legend: true, tooltip: true, viz: false } }];

function trendPanel(id: number): TimeSeries {
  return (
    new TimeSeries()
      .id(id)
      .datasource(datasource)
      .span(12)
      .height(8)
      // Values change once per round: steps show when a round changed them.
      .lineInterpolation(LineInterpolation.StepAfter)
      // By name: a series' interval bounds, named as the series, get its colour.
      .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.PaletteClassicByName))
      .legend(
        new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).calcs([]),
      )
      .overrideByQuery('B', bound)
      .overrideByQuery('C', bound)
  );
}

function change(id: number, family: ResultFamily): TimeSeries {
  const worse = family.higherIsBetter ? 'negative' : 'positive';
  const legend = `{{dut}} ${family.legend}`;
  const of = (metric: string) => familySelector(metric, family);
  const alerted = REGRESSION_ALERT_FAMILIES.includes(family.name);
  const panel = trendPanel(id)
    .title(`${titleOf(family)}: LXC vs native`)
    .description(
      `(LXC − native) / native on the same DUT, from ${ratioRecord(family.name)}. A ${worse} change means the container does worse. ` +
        `The dashed lines in the series' colour bound its 95% interval (${pairRecord(family.name, 'ratio_lower95')} and _upper95: ` +
        "Welch's interval from both series' standard deviations and sample counts): a step that stays inside the previous band may be noise." +
        (alerted
          ? ` The red dashed line is EdgebenchVethTransmitRegression's threshold, -${thresholdRecords.vethTransmitRegression}: ` +
            'it fires for veth transmit when the whole interval is below it and both series settled.'
          : ''),
    )
    .unit('percentunit')
    .withTarget(rangeSeries('A', of(ratioRecord(family.name)), legend))
    .withTarget(rangeSeries('B', of(pairRecord(family.name, 'ratio_lower95')), legend))
    .withTarget(rangeSeries('C', of(pairRecord(family.name, 'ratio_upper95')), legend));
  if (alerted) {
    panel
      .withTarget(rangeSeries('D', `-${thresholdRecords.vethTransmitRegression}`, 'alert threshold (veth transmit)'))
      .overrideByQuery('D', [...dashedLine([10, 10]), { id: 'color', value: { mode: 'fixed', fixedColor: 'red' } }]);
  }
  return panel;
}

/** A family measured in the container only (what the container itself costs): its value is the overhead. */
function cost(id: number, family: ResultFamily): TimeSeries {
  const better = family.higherIsBetter ? 'Higher' : 'Lower';
  const legend = `{{dut}} ${family.legend}`;
  const mean = familySelector(family.name, family);
  const halfwidth = familySelector(seriesRecord(family.name, 'halfwidth95'), family);
  return trendPanel(id)
    .title(titleOf(family))
    .description(
      `${family.help}, in ${family.display.symbol || 'counts'}. ${better} is better. ` +
        `The dashed lines in the series' colour bound the 95% interval of the mean (± ${seriesRecord(family.name, 'halfwidth95')}).`,
    )
    .unit(family.display.grafana)
    .withTarget(rangeSeries('A', inDisplayUnit(mean, family.display), legend))
    .withTarget(rangeSeries('B', inDisplayUnit(`(${mean} - ${halfwidth})`, family.display), legend))
    .withTarget(rangeSeries('C', inDisplayUnit(`(${mean} + ${halfwidth})`, family.display), legend));
}

const yesNo = (no: string, noColor: string, yes: string, yesColor: string): DynamicConfigValue => ({
  id: 'mappings',
  value: [
    {
      type: MappingType.ValueToText,
      options: { '0': { text: no, color: noColor, index: 0 }, '1': { text: yes, color: yesColor, index: 1 } },
    },
  ],
});

/**
 * Every family's latest container-vs-native change with its 95% interval, on every selected DUT:
 * the paper's Tables C and D, for every benchmark.
 */
function changesTable(id: number): Table {
  const twins = resultFamilies().filter(hasNativeTwin);
  const of = (metric: string, family: ResultFamily) => familySelector(metric, family);
  const lower = (f: ResultFamily) => of(pairRecord(f.name, 'ratio_lower95'), f);
  const upper = (f: ResultFamily) => of(pairRecord(f.name, 'ratio_upper95'), f);
  const labels = [...new Set(twins.flatMap((f) => f.labelNames.filter((l) => l !== 'mode')))];
  const columns = {
    A: 'change (%)',
    B: 'lower 95% (%)',
    C: 'upper 95% (%)',
    D: 'settled',
    E: 'significant',
  };
  return (
    new Table()
      .id(id)
      .title('Latest change against native, with its 95% interval, every family')
      .description(
        '(LXC − native) / native in percent, per DUT, family and series, from the last round, with the bounds of its 95% interval ' +
          "(Welch's, from both series' standard deviations and sample counts; empty for a mean of one value). " +
          '"better" says which direction of change is an improvement. settled: both series stopped with their spread within ' +
          'max_rsd_percent (no: the job hit its maximum repetitions, do not trust the value). significant: the interval excludes zero. ' +
          "The paper's Tables C and D (STREAM, STREAM2) for every benchmark.",
      )
      .datasource(datasource)
      .unit('percent')
      .decimals(1)
      .span(24)
      .height(12)
      .sortBy([new TableSortByFieldStateBuilder().displayName(columns.E).desc(true)])
      .withTarget(
        instantTable(
          'A',
          everyFamily(twins, (f) => `100 * ${of(ratioRecord(f.name), f)}`),
        ),
      )
      .withTarget(
        instantTable(
          'B',
          everyFamily(twins, (f) => `100 * ${lower(f)}`),
        ),
      )
      .withTarget(
        instantTable(
          'C',
          everyFamily(twins, (f) => `100 * ${upper(f)}`),
        ),
      )
      .withTarget(
        instantTable(
          'D',
          everyFamily(twins, (f) => `${of(pairRecord(f.name, 'settled'), f)} == bool 1`),
        ),
      )
      // the interval is entirely above zero or entirely below it
      .withTarget(
        instantTable(
          'E',
          everyFamily(twins, (f) => `(${lower(f)} > bool 0) + (${upper(f)} < bool 0)`),
        ),
      )
      .transformations([
        merge,
        organize(
          [
            ['dut', 'DUT'],
            ['family', 'family'],
            ...labels.map((l): [string, string] => [l, l]),
            ['better', 'better'],
            ...Object.entries(columns).map(([refId, name]): [string, string] => [valueColumn(refId), name]),
          ],
          ['job', 'instance', '__name__'],
        ),
      ])
      .overrideByName(columns.D, [
        { id: 'unit', value: 'none' },
        { id: 'decimals', value: 0 },
        yesNo('no', 'red', 'yes', 'green'),
        { id: 'custom.cellOptions', value: { type: 'color-text' } },
      ])
      .overrideByName(columns.E, [
        { id: 'unit', value: 'none' },
        { id: 'decimals', value: 0 },
        yesNo('no', 'text', 'yes', 'orange'),
        { id: 'custom.cellOptions', value: { type: 'color-text' } },
      ])
  );
}

export function overheadTrends(): Dashboard {
  const dashboard = withNavigation(
    withVariables(
      new DashboardBuilder('edgebench: overhead trends')
        .uid('edgebench-overhead-trends')
        .description("The container's relative change against native, per DUT and result family, over time, and what explains its steps.")
        .tags(['edgebench'])
        .time({ from: 'now-7d', to: 'now' })
        .refresh('5m')
        .readonly()
        // The alerts are Prometheus alerting rules, not Grafana-managed ones, so Grafana's built-in
        // alert annotations never see them: query their ALERTS series instead.
        .annotation(
          abovePanels(
            new AnnotationQueryBuilder()
              .name('Firing alerts')
              .datasource(datasource)
              .enable(true)
              .iconColor('red')
              .expr(selector('ALERTS', 'alertstate="firing"'))
              .step('60s')
              .titleFormat('{{alertname}}')
              .textFormat('{{dut}} {{benchmark}} {{netdev}} {{direction}} severity={{severity}}')
              .tagKeys('alertname,severity'),
          ),
        )
        // What explains a step: the exporters of the selected DUTs restarting or loading a new
        // configuration, a benchmark running with new parameters or a new tool version.
        .annotation(exporterStarts(ofSelectedDuts))
        .annotation(configReloads(ofSelectedDuts))
        .annotation(benchmarkChanges()),
      familyVariables,
    ),
  );
  const families = resultFamilies();
  // The table first; the trend panels keep the ids 1..n they have always had (links to a panel stay valid).
  dashboard.withPanel(changesTable(families.length + 1));
  families.forEach((family, i) => {
    dashboard.withPanel(hasNativeTwin(family) ? change(i + 1, family) : cost(i + 1, family));
  });
  return dashboard.build();
}
