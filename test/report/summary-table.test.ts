import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/benchmarks/job.js';
import type { JobOutcome } from '../../src/engine/job-runner.js';
import { summaryTable } from '../../src/report/summary-table.js';

function outcome(
  benchmark: string,
  family: string,
  labels: Record<string, string>,
  mean?: number,
  extra: [string, Record<string, string>, number][] = [],
): JobOutcome {
  const job = { benchmark, family, labels, mode: labels.mode, netdev: labels.netdev ?? '' } as Job;
  const stats = (m: number) => ({ mean: m, stddev: 0, count: 1 });
  return {
    dut: 'd1',
    job,
    series:
      mean === undefined
        ? []
        : [
            { family, labels, stats: stats(mean), samples: [[mean]], settled: true },
            ...extra.map(([f, l, m]) => ({ family: f, labels: l, stats: stats(m), samples: [[m]], settled: true })),
          ],
    repetitions: mean === undefined ? 0 : 1,
    error: mean === undefined ? { reason: 'timeout', message: 'timed out' } : undefined,
    durationSeconds: 1,
    startedAt: 0,
    endedAt: 1,
  };
}

const G = 'edgebench_nuttcp_goodput_bytes_per_second';

describe('summaryTable', () => {
  it('puts each container netdev next to native, with the % change', () => {
    const table = summaryTable([
      outcome('nuttcp', G, { mode: 'native', netdev: 'host', direction: 'transmit' }, 12e6),
      outcome('nuttcp', G, { mode: 'lxc', netdev: 'veth', direction: 'transmit' }, 10.8e6),
      outcome('nuttcp', G, { mode: 'lxc', netdev: 'macvlan', direction: 'transmit' }, 11.88e6),
    ]).split('\n');
    expect(table[0]).toMatch(/^DUT +benchmark +parameters +native +lxc +change +95% interval +note$/);
    // in the paper's unit, Mbit/s; one value each: no spread, no interval
    expect(table.slice(2)).toEqual([
      expect.stringMatching(
        /^d1 +nuttcp +nuttcp_goodput_bytes_per_second netdev=veth direction=transmit +96 Mbit\/s +86\.4 Mbit\/s +-10\.0%$/,
      ),
      expect.stringMatching(/netdev=macvlan direction=transmit +96 Mbit\/s +95\.04 Mbit\/s +-1\.0%$/),
    ]);
  });

  it('shows every series of a job (all STREAM kernels) and a failed job as failed', () => {
    const F = 'edgebench_stream_bandwidth_bytes_per_second';
    const table = summaryTable([
      outcome('stream', F, { mode: 'native', suite: 'stream', kernel: 'copy' }, 2e9, [
        [F, { mode: 'native', suite: 'stream', kernel: 'add' }, 3e9],
      ]),
      outcome('stream', F, { mode: 'lxc', suite: 'stream', kernel: 'copy' }),
    ]).split('\n');
    expect(table.slice(2)).toEqual([
      expect.stringMatching(/suite=stream kernel=copy +2000 MB\/s +failed$/),
      expect.stringMatching(/suite=stream kernel=add +3000 MB\/s$/),
    ]);
  });

  it('puts a family without native twins (what the container itself costs) in the lxc column, without a change', () => {
    const F = 'edgebench_lxc_memavailable_bytes';
    const table = summaryTable([outcome('lxc_startup', F, { state: 'running' }, 1500000)]).split('\n');
    expect(table.slice(2)).toEqual([expect.stringMatching(/^d1 +lxc_startup +lxc_memavailable_bytes state=running +1\.5 MB$/)]);
  });

  it('gives a change its 95% interval and marks one that includes zero, or whose series did not settle', () => {
    const R = 'edgebench_netperf_rtt_seconds';
    const series = (labels: Record<string, string>, mean: number, stddev: number, count: number, settled = true): JobOutcome => {
      const o = outcome('netperf', R, labels, mean);
      return { ...o, series: [{ family: R, labels, stats: { mean, stddev, count }, samples: [], settled }] };
    };
    const table = summaryTable([
      series({ mode: 'native', netdev: 'host', protocol: 'tcp' }, 100e-6, 2e-6, 5),
      // Welch: df = 4 - 1 = 3, t = 3.182446; se = sqrt(4e-6² / 4 + 2e-6² / 5) = 2.1909e-6;
      // half = 3.182446 × 2.1909e-6 / 100e-6 = 6.97%: 10.0% … 24.0%, significant
      series({ mode: 'lxc', netdev: 'veth', protocol: 'tcp' }, 117e-6, 4e-6, 4),
      // the same spread around +3%: -4.0% … 10.0%, not significant; and the job did not settle
      series({ mode: 'lxc', netdev: 'macvlan', protocol: 'tcp' }, 103e-6, 4e-6, 4, false),
    ]).split('\n');
    expect(table.slice(2)).toEqual([
      expect.stringMatching(/netdev=veth protocol=tcp +100 µs +117 µs +17\.0% +10\.0% … 24\.0%$/),
      expect.stringMatching(/netdev=macvlan protocol=tcp +100 µs +103 µs +3\.0% +-4\.0% … 10\.0% +not significant, not settled$/),
    ]);
  });
});
