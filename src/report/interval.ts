// The 95% interval of a container-vs-native change, as the recording rules compute it
// (prometheus/src/recording-rules.ts uses these constants): Welch's interval on the difference of
// the means with the conservative degrees of freedom min(n) - 1, over the native mean.
import type { Statistics } from '../engine/statistics.js';

/** Student's t, 0.975 quantile, for 1-4 degrees of freedom (6 digits). */
export const T975_TABLE = [12.706205, 4.302653, 3.182446, 2.776445] as const;
/** Beyond: the Cornish-Fisher expansion around z = 1.959964, c0 + c1/df + … + c4/df⁴ (within 0.01% from 5 on). */
export const T975_CORNISH_FISHER = [1.959964, 2.372271, 2.822499, 2.55585, 1.589534] as const;

/** The 0.975 quantile for `df` >= 1, in the rules' order of operations (so the table and the dashboards agree to the last digit). */
export function t975(df: number): number {
  const [c0, c1, c2, c3, c4] = T975_CORNISH_FISHER;
  const cf = c0 + c1 / df + c2 / df ** 2 + c3 / df ** 3 + c4 / df ** 4;
  return T975_TABLE.reduce((sum, t, i) => sum + +(df === i + 1) * t, 0) + +(df > T975_TABLE.length) * cf;
}

export interface ChangeInterval {
  /** (lxc - native) / native */
  change: number;
  lower: number;
  upper: number;
  /** The interval excludes zero. */
  significant: boolean;
}

/** undefined when either side has a single value: no spread, no interval. */
export function changeInterval(native: Statistics, lxc: Statistics): ChangeInterval | undefined {
  const df = Math.min(native.count, lxc.count) - 1;
  if (df < 1 || native.mean === 0) return undefined;
  const change = (lxc.mean - native.mean) / native.mean;
  const half = (t975(df) * Math.sqrt(lxc.stddev ** 2 / lxc.count + native.stddev ** 2 / native.count)) / native.mean;
  const [lower, upper] = [change - half, change + half];
  return { change, lower, upper, significant: lower > 0 || upper < 0 };
}
