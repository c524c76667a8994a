// "Overhead trends": the recorded container-vs-native change of every result family over time,
// with the firing Prometheus alerts as annotations.
import { LegendDisplayMode, LegendPlacement, LineInterpolation, VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { AnnotationQueryBuilder, type Dashboard, DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import { datasource, dutMatcher, rangeSeries, selector, withVariables } from './common.js';

interface Family {
  metric: string;
  title: string;
  /** The labels that tell the family's series apart, besides dut. */
  legend: string;
  /** Whether a larger value of the family is better: it decides what a positive change means. */
  higherIsBetter: boolean;
}

const families: Family[] = [
  {
    metric: 'edgebench_sysbench_cpu_duration_seconds',
    title: 'sysbench CPU time (Fig. 2)',
    legend: '×{{instances}}',
    higherIsBetter: false,
  },
  { metric: 'edgebench_linpack_flops', title: 'Linpack FLOP/s (Fig. 3)', legend: '×{{instances}}', higherIsBetter: true },
  {
    metric: 'edgebench_nuttcp_goodput_bytes_per_second',
    title: 'nuttcp goodput (Fig. 5)',
    legend: '{{netdev}} {{direction}}',
    higherIsBetter: true,
  },
  {
    metric: 'edgebench_netperf_rtt_seconds',
    title: 'netperf round-trip time (Fig. 6)',
    legend: '{{netdev}} {{protocol}}',
    higherIsBetter: false,
  },
  {
    metric: 'edgebench_iperf3_throughput_bytes_per_second',
    title: 'iperf3 aggregate throughput (Figs. 7-10)',
    legend: '{{netdev}} {{direction}} ×{{instances}}',
    higherIsBetter: true,
  },
  {
    metric: 'edgebench_stream_bandwidth_bytes_per_second',
    title: 'STREAM / STREAM2 bandwidth (Tables C, D)',
    legend: '{{suite}} {{kernel}}',
    higherIsBetter: true,
  },
  { metric: 'edgebench_perf_branch_misses', title: 'perf branch-misses', legend: '{{netdev}} {{direction}}', higherIsBetter: false },
  {
    metric: 'edgebench_perf_l1_dcache_load_misses',
    title: 'perf L1-dcache-load-misses',
    legend: '{{netdev}} {{direction}}',
    higherIsBetter: false,
  },
];

/** The recording rule's name for a family (prometheus/rules/edgebench-recording.yml). */
export const ratioRule = (metric: string): string => `dut:${metric}:lxc_vs_native_ratio`;

function trend(id: number, family: Family): TimeSeries {
  const worse = family.higherIsBetter ? 'negative' : 'positive';
  return (
    new TimeSeries()
      .id(id)
      .title(`${family.title}: LXC vs native`)
      .description(
        `(LXC − native) / native on the same DUT, from ${ratioRule(family.metric)}. A ${worse} change means the container does worse.`,
      )
      .datasource(datasource)
      .unit('percentunit')
      .span(12)
      .height(8)
      // Values change once per round: steps show when a round changed them.
      .lineInterpolation(LineInterpolation.StepAfter)
      .legend(
        new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).calcs([]),
      )
      .withTarget(rangeSeries('A', selector(ratioRule(family.metric)), `{{dut}} ${family.legend}`))
  );
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
  families.forEach((family, i) => {
    dashboard.withPanel(trend(i + 1, family));
  });
  return dashboard.build();
}
