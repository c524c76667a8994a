// A published result for tests of what the store and /metrics make of it: netperf UDP round-trip
// time through veth, a job that stopped at its maximum repetitions without settling.
import type { JobResult } from '../../src/engine/results.js';

export const UNSETTLED_RTT: JobResult = {
  family: 'edgebench_netperf_rtt_seconds',
  labels: { mode: 'lxc', netdev: 'veth', protocol: 'udp' },
  stats: { mean: 0.0001, stddev: 0.00002, count: 6 },
  repetitions: 6,
  rsdPercent: 20,
  settled: false,
  completedAt: 1_700_000_000_000,
};
