// "Lab health": is each DUT reachable, how old are its results, what fails and how long rounds take.
import { BigValueColorMode, ReduceDataOptionsBuilder, TableSortByFieldStateBuilder } from '@grafana/grafana-foundation-sdk/common';
import { type Dashboard, DashboardBuilder, MappingType } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import { datasource, instantTable, organize, rangeSeries, selector, withVariables } from './common.js';

export function labHealth(): Dashboard {
  const age = 'since last success';
  return withVariables(
    new DashboardBuilder('edgebench: lab health')
      .uid('edgebench-lab-health')
      .description('Reachability of the DUTs, age of their results, benchmark failures and round durations.')
      .tags(['edgebench'])
      .time({ from: 'now-24h', to: 'now' })
      .refresh('1m')
      .readonly(),
  )
    .withPanel(
      new Stat()
        .id(1)
        .title('DUT up')
        .description('edgebench_dut_up: whether the last SSH connection to the DUT succeeded.')
        .datasource(datasource)
        .unit('none')
        .span(8)
        .height(8)
        .colorMode(BigValueColorMode.Background)
        .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
        .mappings([
          {
            type: MappingType.ValueToText,
            options: { '0': { text: 'down', color: 'red', index: 0 }, '1': { text: 'up', color: 'green', index: 1 } },
          },
        ])
        .withTarget(rangeSeries('A', selector('edgebench_dut_up'), '{{dut}}')),
    )
    .withPanel(
      new Table()
        .id(2)
        .title('Age of the last successful run')
        .description(
          'time() - edgebench_benchmark_last_success_timestamp_seconds per DUT, benchmark, mode and netdev: a failed run keeps the last good result, which grows old.',
        )
        .datasource(datasource)
        .unit('s')
        .span(16)
        .height(8)
        .sortBy([new TableSortByFieldStateBuilder().displayName(age).desc(true)])
        .withTarget(
          instantTable(
            'A',
            `time() - max by (dut, benchmark, mode, netdev) (${selector('edgebench_benchmark_last_success_timestamp_seconds')})`,
          ),
        )
        .withTransformation(
          organize(
            [
              ['dut', 'DUT'],
              ['benchmark', 'benchmark'],
              ['mode', 'mode'],
              ['netdev', 'netdev'],
              ['Value', age],
            ],
            [],
          ),
        ),
    )
    .withPanel(
      new TimeSeries()
        .id(3)
        .title('Failures by reason, per hour')
        .description('increase(edgebench_benchmark_failures_total[1h]) per DUT, benchmark and reason.')
        .datasource(datasource)
        .unit('short')
        .min(0)
        .span(12)
        .height(8)
        .withTarget(
          rangeSeries(
            'A',
            `sum by (dut, benchmark, reason) (increase(${selector('edgebench_benchmark_failures_total')}[1h]))`,
            '{{dut}} {{benchmark}} {{reason}}',
          ),
        ),
    )
    .withPanel(
      new TimeSeries()
        .id(4)
        .title('Round duration')
        .description('edgebench_round_duration_seconds: wall time of the last complete benchmark round of each DUT.')
        .datasource(datasource)
        .unit('s')
        .min(0)
        .span(12)
        .height(8)
        .withTarget(rangeSeries('A', selector('edgebench_round_duration_seconds'), '{{dut}}')),
    )
    .build();
}
