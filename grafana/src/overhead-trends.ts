// "Overhead trends": per result family of the registry, the recorded container-vs-native change
// over time (or, for a family with no native twin, its value), with the firing Prometheus alerts
// as annotations.
import { LegendDisplayMode, LegendPlacement, LineInterpolation, VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { AnnotationQueryBuilder, type Dashboard, DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import type { ResultFamily } from '../../src/benchmarks/benchmark.js';
import { ratioRecord } from '../../src/metrics/family-names.js';
import { datasource, dutMatcher, hasNativeTwin, inDisplayUnit, rangeSeries, resultFamilies, selector, withVariables } from './common.js';

const titleOf = (family: ResultFamily) => (family.paperRef ? `${family.title} (${family.paperRef})` : family.title);

function trendPanel(id: number): TimeSeries {
  return (
    new TimeSeries()
      .id(id)
      .datasource(datasource)
      .span(12)
      .height(8)
      // Values change once per round: steps show when a round changed them.
      .lineInterpolation(LineInterpolation.StepAfter)
      .legend(
        new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).calcs([]),
      )
  );
}

function change(id: number, family: ResultFamily): TimeSeries {
  const worse = family.higherIsBetter ? 'negative' : 'positive';
  return trendPanel(id)
    .title(`${titleOf(family)}: LXC vs native`)
    .description(
      `(LXC − native) / native on the same DUT, from ${ratioRecord(family.name)}. A ${worse} change means the container does worse.`,
    )
    .unit('percentunit')
    .withTarget(rangeSeries('A', selector(ratioRecord(family.name)), `{{dut}} ${family.legend}`));
}

/** A family measured in the container only (what the container itself costs): its value is the overhead. */
function cost(id: number, family: ResultFamily): TimeSeries {
  const better = family.higherIsBetter ? 'Higher' : 'Lower';
  return trendPanel(id)
    .title(titleOf(family))
    .description(`${family.help}, in ${family.display.symbol || 'counts'}. ${better} is better.`)
    .unit(family.display.grafana)
    .withTarget(rangeSeries('A', inDisplayUnit(selector(family.name), family.display), `{{dut}} ${family.legend}`));
}

export function overheadTrends(): Dashboard {
  const dashboard = withVariables(
    new DashboardBuilder('edgebench: overhead trends')
      .uid('edgebench-overhead-trends')
      .description("The container's relative change against native, per DUT and result family, over time.")
      .tags(['edgebench'])
      .time({ from: 'now-7d', to: 'now' })
      .refresh('5m')
      .readonly()
      // The alerts are Prometheus alerting rules, not Grafana-managed ones, so Grafana's built-in
      // alert annotations never see them: query their ALERTS series instead.
      .annotation(
        new AnnotationQueryBuilder()
          .name('Firing alerts')
          .datasource(datasource)
          .enable(true)
          .iconColor('red')
          .expr(`ALERTS{alertstate="firing", ${dutMatcher}}`)
          .step('60s')
          .titleFormat('{{alertname}}')
          .textFormat('{{dut}} {{benchmark}} {{netdev}} {{direction}} severity={{severity}}')
          .tagKeys('alertname,severity'),
      ),
  );
  resultFamilies().forEach((family, i) => {
    dashboard.withPanel(hasNativeTwin(family) ? change(i + 1, family) : cost(i + 1, family));
  });
  return dashboard.build();
}
