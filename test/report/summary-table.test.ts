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
            { family, labels, stats: stats(mean), samples: [[mean]] },
            ...extra.map(([f, l, m]) => ({ family: f, labels: l, stats: stats(m), samples: [[m]] })),
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
      outcome('nuttcp', G, { mode: 'native', netdev: 'host', direction: 'transmit' }, 100),
      outcome('nuttcp', G, { mode: 'lxc', netdev: 'veth', direction: 'transmit' }, 90),
      outcome('nuttcp', G, { mode: 'lxc', netdev: 'macvlan', direction: 'transmit' }, 99),
    ]).split('\n');
    expect(table[0]).toMatch(/^DUT +benchmark +parameters +native +lxc +change$/);
    expect(table.slice(2)).toEqual([
      expect.stringMatching(/^d1 +nuttcp +nuttcp_goodput_bytes_per_second netdev=veth direction=transmit +100 B\/s +90 B\/s +-10\.0%$/),
      expect.stringMatching(/netdev=macvlan direction=transmit +100 B\/s +99 B\/s +-1\.0%$/),
    ]);
  });

  it('shows every series of a job (all STREAM kernels) and a failed job as failed', () => {
    const F = 'edgebench_stream_bandwidth_bytes_per_second';
    const table = summaryTable([
      outcome('stream', F, { mode: 'native', suite: 'stream', kernel: 'copy' }, 200, [
        [F, { mode: 'native', suite: 'stream', kernel: 'add' }, 300],
      ]),
      outcome('stream', F, { mode: 'lxc', suite: 'stream', kernel: 'copy' }),
    ]).split('\n');
    expect(table.slice(2)).toEqual([
      expect.stringMatching(/suite=stream kernel=copy +200 B\/s +failed$/),
      expect.stringMatching(/suite=stream kernel=add +300 B\/s$/),
    ]);
  });

  it('puts a family without native twins (what the container itself costs) in the lxc column, without a change', () => {
    const F = 'edgebench_example_memory_bytes';
    const table = summaryTable([outcome('example', F, { state: 'idle' }, 1500000)]).split('\n');
    expect(table.slice(2)).toEqual([expect.stringMatching(/^d1 +example +example_memory_bytes state=idle +1500000 B$/)]);
  });
});
