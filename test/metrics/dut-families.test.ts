// What a DUT's published result adds to /metrics besides its mean: the spread, the count of values
// and whether it settled, per series; and what produced each benchmark's results.
import { describe, expect, it } from 'vitest';
import { DutResults } from '../../src/engine/results.js';
import { dutFamilies } from '../../src/metrics/dut-families.js';
import { UNSETTLED_RTT } from '../helpers/results.js';

function lines(state: DutResults): string[] {
  const out: string[] = [];
  for (const f of dutFamilies) f.render('d1', state, out);
  return out.join('').split('\n').filter(Boolean);
}

describe('the per-DUT families', () => {
  const state = new DutResults();
  state.publish(UNSETTLED_RTT);
  state.toolVersions.set('netperf', 'Netperf version 2.7.0');
  state.benchmarkConfigs.set('netperf', '0123456789ab');

  it('export each series with its standard deviation, its count of values and whether it settled', () => {
    const series = '{dut="d1",mode="lxc",netdev="veth",protocol="udp"}';
    expect(lines(state)).toEqual(
      expect.arrayContaining([
        `edgebench_netperf_rtt_seconds${series} 0.0001`,
        `edgebench_netperf_rtt_stddev_seconds${series} 0.00002`,
        `edgebench_netperf_rtt_samples${series} 6`,
        `edgebench_netperf_rtt_settled${series} 0`,
      ]),
    );
  });

  it('export what produced a benchmark’s results: its parameters’ hash and its tool’s version', () => {
    expect(lines(state)).toContain(
      'edgebench_benchmark_info{dut="d1",benchmark="netperf",config_hash="0123456789ab",tool_version="Netperf version 2.7.0"} 1',
    );
  });
});
