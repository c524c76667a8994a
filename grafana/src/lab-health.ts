// "Lab health": is each DUT reachable, how old are its results, what fails and how long rounds take;
// which jobs succeeded, which results did not settle, what the DUTs and benchmarks are; and the
// exporters themselves: configuration reloads, journal write errors, memory.
import {
  BigValueColorMode,
  ReduceDataOptionsBuilder,
  TableCellDisplayMode,
  TableSortByFieldStateBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  type Dashboard,
  DashboardBuilder,
  type DataTransformerConfig,
  MappingType,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import { samplesFamily, settledFamily, stddevFamily } from '../../src/metrics/family-names.js';
import {
  configReloadFailures,
  configReloads,
  datasource,
  edgebenchProcess,
  everyFamily,
  exporterSelector,
  exporterStarts,
  familySelector,
  instantTable,
  merge,
  organize,
  rangeSeries,
  resultFamilies,
  selector,
  valueColumn,
  withNavigation,
  withVariables,
} from './common.js';

/** The family variables this dashboard has: its tables mix netdevs. */
const variables = ['netdev'] as const;

const mapping = (texts: [value: string, text: string, color: string][]): ValueMapping => ({
  type: MappingType.ValueToText,
  options: Object.fromEntries(texts.map(([value, text, color], index) => [value, { text, color, index }])),
});

const redAbove = (limit: number) =>
  new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
    { value: null, color: 'green' },
    { value: limit, color: 'red' },
  ]);

const lastValue = () => new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);

function stat(id: number, title: string, description: string, unit: string, span: number): Stat {
  return new Stat()
    .id(id)
    .title(title)
    .description(description)
    .datasource(datasource)
    .unit(unit)
    .span(span)
    .height(6)
    .colorMode(BigValueColorMode.Background)
    .reduceOptions(lastValue());
}

/** Result series' labels as table columns: every family's labels besides dut, in registry order. */
const resultLabels = () => [...new Set(resultFamilies().flatMap((f) => f.labelNames))];

function successMatrix(id: number): Table {
  const success = selector('edgebench_benchmark_success', 'netdev=~"$netdev"');
  // one column per benchmark, mode and netdev ("nuttcp lxc veth", "sysbench native"), one row per DUT
  const run = `label_replace(label_join(${success}, "run", " ", "benchmark", "mode", "netdev"), "run", "$1", "run", "(.*) ")`;
  const rowHeader = 'dut\\run'; // groupingToMatrix names its first column `<row field>\<column field>`
  const matrix: DataTransformerConfig = {
    id: 'groupingToMatrix',
    options: { columnField: 'run', rowField: 'dut', valueField: 'Value', emptyValue: 'null' },
  };
  return new Table()
    .id(id)
    .title('Last round: success per DUT, benchmark, mode and netdev')
    .description(
      'edgebench_benchmark_success: ok when every job of that benchmark, mode and netdev succeeded in the last round; ' +
        'failed: the last good result stays (see its age above, and the failures by reason).',
    )
    .datasource(datasource)
    .unit('none')
    .span(24)
    .height(8)
    .mappings([
      mapping([
        ['0', 'failed', 'red'],
        ['1', 'ok', 'green'],
      ]),
    ])
    .cellOptions({ type: TableCellDisplayMode.ColorBackground })
    .withTarget(instantTable('A', `max by (dut, run) (${run})`))
    .withTransformation(matrix)
    .overrideByName(rowHeader, [
      { id: 'displayName', value: 'DUT' },
      { id: 'custom.cellOptions', value: { type: 'auto' } },
    ]);
}

function notSettledCount(id: number): Stat {
  const families = resultFamilies();
  return stat(
    id,
    'Result series not settled',
    'Per DUT, how many result series stopped at their maximum repetitions with the spread still above max_rsd_percent ' +
      '(the <family>_settled companions at 0): their values are not to be trusted. 0 when every series settled.',
    'none',
    6,
  )
    .height(8)
    .thresholds(redAbove(1))
    .withTarget(
      rangeSeries(
        'A',
        `sum by (dut) (${everyFamily(families, (f) => `${familySelector(settledFamily(f.name), f, variables)} == bool 0`)})`,
        '{{dut}}',
      ),
    );
}

function settledTable(id: number): Table {
  const families = resultFamilies();
  const of = (metric: string, f: (typeof families)[number]) => familySelector(metric, f, variables);
  const columns = { A: 'settled', B: 'samples', C: 'RSD (%)' };
  return new Table()
    .id(id)
    .title('Settled or not, every result series')
    .description(
      'Every result series of the last round: settled (no = the job stopped at max repetitions with its relative standard deviation ' +
        'still above max_rsd_percent, the value is not to be trusted), how many values its mean is over (repetitions × instances) ' +
        'and its relative standard deviation (100 × stddev / mean). Series not settled first.',
    )
    .datasource(datasource)
    .unit('none')
    .span(18)
    .height(8)
    .sortBy([new TableSortByFieldStateBuilder().displayName(columns.A).desc(false)])
    .withTarget(
      instantTable(
        'A',
        everyFamily(families, (f) => `${of(settledFamily(f.name), f)} == bool 1`),
      ),
    )
    .withTarget(
      instantTable(
        'B',
        everyFamily(families, (f) => `${of(samplesFamily(f.name), f)} + 0`),
      ),
    )
    .withTarget(
      instantTable(
        'C',
        everyFamily(families, (f) => `100 * ${of(stddevFamily(f.name), f)} / ${of(f.name, f)}`),
      ),
    )
    .transformations([
      merge,
      organize(
        [
          ['dut', 'DUT'],
          ['family', 'family'],
          ...resultLabels().map((l): [string, string] => [l, l]),
          ...Object.entries(columns).map(([refId, name]): [string, string] => [valueColumn(refId), name]),
        ],
        ['job', 'instance', '__name__', 'better'],
      ),
    ])
    .overrideByName(columns.A, [
      {
        id: 'mappings',
        value: [
          mapping([
            ['0', 'no', 'red'],
            ['1', 'yes', 'green'],
          ]),
        ],
      },
      { id: 'custom.cellOptions', value: { type: 'color-text' } },
    ])
    .overrideByName(columns.C, [
      { id: 'unit', value: 'percent' },
      { id: 'decimals', value: 2 },
    ]);
}

/** An info series as a table of its labels. */
function infoTable(id: number, title: string, description: string, expr: string, columns: [string, string][], drop: string[]): Table {
  return new Table()
    .id(id)
    .title(title)
    .description(description)
    .datasource(datasource)
    .unit('none')
    .span(12)
    .height(8)
    .withTarget(instantTable('A', expr))
    .withTransformation(organize(columns, ['Value', '__name__', 'job', ...drop]));
}

const exporterPanels = (dashboard: DashboardBuilder): DashboardBuilder => {
  return dashboard
    .withRow(new RowBuilder('Exporters').id(11))
    .withPanel(
      stat(
        12,
        'Last configuration reload',
        'edgebench_config_last_reload_successful per exporter: failed = the last reload (SIGHUP, /-/reload) was refused and the ' +
          'previous configuration is still running; `edgebench check-config` says why.',
        'none',
        6,
      )
        .mappings([
          mapping([
            ['0', 'failed', 'red'],
            ['1', 'ok', 'green'],
          ]),
        ])
        .withTarget(rangeSeries('A', exporterSelector('edgebench_config_last_reload_successful'), '{{instance}}')),
    )
    .withPanel(
      stat(
        13,
        'Configuration loaded',
        'edgebench_config_last_reload_success_timestamp_seconds: when each exporter last loaded its configuration successfully (at start or on a reload).',
        'dateTimeFromNow',
        6,
      )
        .colorMode(BigValueColorMode.None)
        .withTarget(
          rangeSeries('A', `${exporterSelector('edgebench_config_last_reload_success_timestamp_seconds')} * 1000`, '{{instance}}'),
        ),
    )
    .withPanel(
      stat(
        14,
        'Journal write errors',
        'edgebench_journal_write_errors_total since the exporter started: results that reached /metrics but not the SQLite journal ' +
          '(lost at the next restart); the exporter log says why.',
        'none',
        6,
      )
        .thresholds(redAbove(1))
        .withTarget(rangeSeries('A', exporterSelector('edgebench_journal_write_errors_total'), '{{instance}}')),
    )
    .withPanel(
      stat(15, 'Exporter started', 'process_start_time_seconds: when each edgebench exporter process started.', 'dateTimeFromNow', 6)
        .colorMode(BigValueColorMode.None)
        .withTarget(rangeSeries('A', `(${edgebenchProcess('process_start_time_seconds')}) * 1000`, '{{instance}}')),
    )
    .withPanel(
      new TimeSeries()
        .id(16)
        .title('Exporter resident memory')
        .description('process_resident_memory_bytes of each edgebench exporter.')
        .datasource(datasource)
        .unit('bytes')
        .min(0)
        .span(24)
        .height(8)
        .withTarget(rangeSeries('A', edgebenchProcess('process_resident_memory_bytes'), '{{instance}}')),
    );
};

export function labHealth(): Dashboard {
  const age = 'since last success';
  const dashboard = withNavigation(
    withVariables(
      new DashboardBuilder('edgebench: lab health')
        .uid('edgebench-lab-health')
        .description(
          'Reachability of the DUTs, age of their results, benchmark failures and round durations; which jobs succeeded and which ' +
            'results settled; the DUTs, benchmark parameters and tool versions; the exporters themselves.',
        )
        .tags(['edgebench'])
        .time({ from: 'now-24h', to: 'now' })
        .refresh('1m')
        .readonly()
        .annotation(exporterStarts())
        .annotation(configReloads())
        .annotation(configReloadFailures()),
      variables,
    ),
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
        .reduceOptions(lastValue())
        .mappings([
          mapping([
            ['0', 'down', 'red'],
            ['1', 'up', 'green'],
          ]),
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
            `time() - max by (dut, benchmark, mode, netdev) (${selector('edgebench_benchmark_last_success_timestamp_seconds', 'netdev=~"$netdev"')})`,
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
            `sum by (dut, benchmark, reason) (increase(${selector('edgebench_benchmark_failures_total', 'netdev=~"$netdev"')}[1h]))`,
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
    .withRow(new RowBuilder('Results: success, settling, provenance').id(5))
    .withPanel(successMatrix(6))
    .withPanel(notSettledCount(7))
    .withPanel(settledTable(8))
    .withPanel(
      infoTable(
        9,
        'DUTs',
        'edgebench_dut_info: what each DUT is (architecture, kernel release, OS, LXC version) and which exporter measures it.',
        selector('edgebench_dut_info'),
        [
          ['dut', 'DUT'],
          ['arch', 'arch'],
          ['release', 'kernel release'],
          ['os', 'OS'],
          ['lxc_version', 'LXC'],
          ['instance', 'exporter'],
        ],
        [],
      ),
    )
    .withPanel(
      infoTable(
        10,
        'Benchmark parameters and tool versions',
        "edgebench_benchmark_info: per DUT and benchmark, a hash of the benchmark's parameters and its DUT-side tool's version in the " +
          'last round. A change of either explains a step in a trend (the overhead trends dashboard annotates it).',
        selector('edgebench_benchmark_info'),
        [
          ['dut', 'DUT'],
          ['benchmark', 'benchmark'],
          ['config_hash', 'parameters (hash)'],
          ['tool_version', 'tool version'],
        ],
        ['instance'],
      ),
    );
  return exporterPanels(dashboard).build();
}
