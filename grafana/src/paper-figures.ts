// "Paper figures": one panel per figure or table of the paper, from the last completed round's
// values (instant queries). Figures are bar charts repeated per DUT with the paper's x axis
// (instances or netdev); tables are tables.
import { PanelBuilder as BarChart } from '@grafana/grafana-foundation-sdk/barchart';
import { LegendDisplayMode, LegendPlacement, VisibilityMode, VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { type Dashboard, DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import {
  datasource,
  inDisplayUnit,
  instantTable,
  merge,
  organize,
  resultFamilies,
  selector,
  sortNumerically,
  valueColumn,
  withNavigation,
  withVariables,
} from './common.js';

const legend = () =>
  new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).calcs([]);

/** A bar chart per DUT ($dut repeats it): x = the label `x`, one bar per query, named by `series`. */
function figure(
  id: number,
  title: string,
  description: string,
  unit: string,
  x: 'instances' | 'netdev',
  series: [refId: string, name: string, expr: string][],
): BarChart {
  const panel = new BarChart()
    .id(id)
    .title(`${title} — $dut`)
    .description(description)
    .datasource(datasource)
    .unit(unit)
    .repeat('dut')
    .repeatDirection('h')
    .maxPerRow(2)
    .span(24)
    .height(9)
    .xField(x)
    .showValue(VisibilityMode.Auto)
    .legend(legend())
    .transformations([
      merge,
      ...(x === 'instances' ? sortNumerically('instances') : []),
      organize([[x, x], ...series.map(([refId, name]): [string, string] => [valueColumn(refId), name])], ['dut']),
    ]);
  for (const [refId, , expr] of series) panel.withTarget(instantTable(refId, expr));
  return panel;
}

/** `avg by (dut, <by>) (metric{dut=~"$dut", matchers})`: one value per DUT and x-axis label, without job/instance/mode. */
const current = (metric: string, by: string[], ...matchers: string[]) =>
  `avg by (${['dut', ...by].join(', ')}) (${selector(metric, ...matchers)})`;

/** `current(...)` in the unit the registry shows the family in (Mbit/s, µs, MB/s: the paper's). */
function shown(metric: string, by: string[], ...matchers: string[]): string {
  const family = resultFamilies().find((f) => f.name === metric);
  if (!family) throw new Error(`paper figures: ${metric} is no result family of the registry`);
  return inDisplayUnit(current(metric, by, ...matchers), family.display);
}

/**
 * The figures of the common kind, one per family that declares one (Figs. 2, 3): per DUT, bars of
 * one instance's value over the number of instances, native against LXC.
 */
function instancesFigures(dashboard: DashboardBuilder): void {
  dashboard.withRow(new RowBuilder('CPU (Figs. 2, 3)').id(1));
  let id = 2;
  for (const family of resultFamilies()) {
    if (!family.instancesFigure) continue;
    const { title, description } = family.instancesFigure;
    const series = ['native', 'lxc'].map((mode, i): [string, string, string] => [
      'AB'.charAt(i),
      mode === 'native' ? 'native' : 'LXC',
      inDisplayUnit(current(family.name, ['instances'], `mode="${mode}"`), family.display),
    ]);
    dashboard.withPanel(figure(id++, title, description, family.display.grafana, 'instances', series));
  }
}

function networkFigures(dashboard: DashboardBuilder): void {
  dashboard
    .withRow(new RowBuilder('Network (Figs. 5-10, perf counters)').id(4))
    .withPanel(
      figure(
        5,
        'Fig. 5: nuttcp TCP goodput per netdev and direction',
        'nuttcp, one TCP bulk stream: goodput in Mbit/s. host = native stack; veth, macvlan = LXC container. Direction as seen from the DUT.',
        'Mbits',
        'netdev',
        ['transmit', 'receive'].map((direction, i) => [
          i === 0 ? 'A' : 'B',
          direction,
          shown('edgebench_nuttcp_goodput_bytes_per_second', ['netdev'], `direction="${direction}"`),
        ]),
      ),
    )
    .withPanel(
      figure(
        6,
        'Fig. 6: netperf round-trip time per netdev',
        'netperf TCP_RR and UDP_RR (100-byte request, 200-byte response): round-trip latency = 1 / transaction rate, in µs. Lower is better.',
        'µs',
        'netdev',
        ['tcp', 'udp'].map((protocol, i) => [
          i === 0 ? 'A' : 'B',
          protocol.toUpperCase(),
          shown('edgebench_netperf_rtt_seconds', ['netdev'], `protocol="${protocol}"`),
        ]),
      ),
    );
  for (const [id, direction] of [
    [7, 'transmit'],
    [8, 'receive'],
  ] as const) {
    dashboard.withPanel(
      figure(
        id,
        `Figs. 7-10: iperf3 aggregate throughput vs instances, DUT ${direction}`,
        `iperf3: k servers on the DUT, k clients on the test machine in parallel; the sum of their throughputs in Mbit/s, DUT ${direction}ting.`,
        'Mbits',
        'instances',
        (['host', 'veth', 'macvlan'] as const).map((netdev, i) => [
          'ABC'.charAt(i),
          netdev === 'host' ? 'native (host)' : `LXC ${netdev}`,
          shown('edgebench_iperf3_throughput_bytes_per_second', ['instances'], `netdev="${netdev}"`, `direction="${direction}"`),
        ]),
      ),
    );
  }
  dashboard.withPanel(
    new Table()
      .id(9)
      .title('Perf counters per netdev during a nuttcp transfer')
      .description(
        'perf stat, system-wide on the DUT during one nuttcp transfer: branch-misses and L1-dcache-load-misses. ' +
          'Empty when the DUT kernel does not count the events (edgebench_perf_supported = 0).',
      )
      .datasource(datasource)
      .unit('short')
      .noValue('no counts: the DUT does not support these perf events')
      .span(24)
      .height(8)
      .withTarget(instantTable('A', current('edgebench_perf_branch_misses', ['netdev', 'direction'])))
      .withTarget(instantTable('B', current('edgebench_perf_l1_dcache_load_misses', ['netdev', 'direction'])))
      .transformations([
        merge,
        organize(
          [
            ['dut', 'DUT'],
            ['netdev', 'netdev'],
            ['direction', 'direction'],
            [valueColumn('A'), 'branch-misses'],
            [valueColumn('B'), 'L1-dcache-load-misses'],
          ],
          [],
        ),
      ]),
  );
}

/** Tables C and D: per DUT and kernel, the native bandwidth and the container's % change. */
function streamTable(id: number, title: string, suite: 'stream' | 'stream2'): Table {
  const change = 'LXC vs native (%)';
  return new Table()
    .id(id)
    .title(title)
    .description(
      `lmbench ${suite === 'stream' ? 'STREAM' : 'STREAM2'}: native bandwidth in MB/s (10^6 bytes/s, as lmbench prints it) and the LXC ` +
        'container change against native in percent, from the recording rule dut:edgebench_stream_bandwidth_bytes_per_second:lxc_vs_native_ratio.',
    )
    .datasource(datasource)
    .unit('MBs')
    .span(12)
    .height(8)
    .withTarget(instantTable('A', shown('edgebench_stream_bandwidth_bytes_per_second', ['kernel'], 'mode="native"', `suite="${suite}"`)))
    .withTarget(
      instantTable(
        'B',
        `${current('dut:edgebench_stream_bandwidth_bytes_per_second:lxc_vs_native_ratio', ['kernel'], `suite="${suite}"`)} * 100`,
      ),
    )
    .transformations([
      merge,
      organize(
        [
          ['dut', 'DUT'],
          ['kernel', 'kernel'],
          [valueColumn('A'), 'native (MB/s)'],
          [valueColumn('B'), change],
        ],
        [],
      ),
    ])
    .overrideByName(change, [
      { id: 'unit', value: 'percent' },
      { id: 'decimals', value: 1 },
    ]);
}

export function paperFigures(): Dashboard {
  const dashboard = withNavigation(
    withVariables(
      new DashboardBuilder('edgebench: paper figures')
        .uid('edgebench-paper-figures')
        .description('The figures and tables of the paper, from the last completed benchmark round of each DUT.')
        .tags(['edgebench'])
        .time({ from: 'now-7d', to: 'now' })
        .refresh('5m')
        .readonly(),
    ),
  );
  instancesFigures(dashboard);
  networkFigures(dashboard);
  dashboard
    .withRow(new RowBuilder('Memory (Tables C, D)').id(10))
    .withPanel(streamTable(11, 'Table C: STREAM bandwidth, native and LXC change', 'stream'))
    .withPanel(streamTable(12, 'Table D: STREAM2 bandwidth, native and LXC change', 'stream2'));
  return dashboard.build();
}
