// Names derived from a result family's: its companions (standard deviation, sample count,
// settled) and the recording rules of its container-vs-native change. Prometheus' naming
// practice puts the unit last (https://prometheus.io/docs/practices/naming/), so the statistic
// goes before it: edgebench_netperf_rtt_stddev_seconds, not edgebench_netperf_rtt_seconds_stddev.

/** The base units result families end in (docs/metrics.md), longest first. */
const UNITS = ['_bytes_per_second', '_seconds', '_bytes', '_flops'] as const;

/** `…_stddev_<unit>`; a family without a unit (a perf count) gets `_stddev` at the end. */
export function stddevFamily(family: string): string {
  const s = stem(family);
  return `${s}_stddev${family.slice(s.length)}`;
}

/** The family without its unit: the stem of companions that have none (a count, a 0/1 flag). */
function stem(family: string): string {
  const unit = UNITS.find((u) => family.endsWith(u)) ?? '';
  return family.slice(0, family.length - unit.length);
}

/** How many values the mean is over: repetitions × instances (a confidence interval needs it). */
export const samplesFamily = (family: string): string => `${stem(family)}_samples`;

/** 0 when the job stopped at its maximum repetitions with the spread still above max_rsd_percent. */
export const settledFamily = (family: string): string => `${stem(family)}_settled`;

/** The recording rule of (LXC − native) / native for a family with native and LXC twins. */
export const ratioRecord = (family: string): string => `dut:${family}:lxc_vs_native_ratio`;
