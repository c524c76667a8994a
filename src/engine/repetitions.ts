// Repetitions the way the Phoronix Test Suite runs them: a minimum count, more while the relative
// standard deviation stays above a threshold, a cap, and an optional warm-up run that is dropped.
import type { Repetitions } from '../config/fields.js';
import { statistics } from './statistics.js';

export interface Repeated<R> {
  /** Every counted repetition, in order (the warm-up is not among them). */
  runs: R[];
  /** Relative standard deviation of the values when the loop stopped, in percent. */
  rsdPercent: number;
}

/** Relative standard deviation in percent; 0 when the mean is 0 or there is one value. */
export function rsdPercent(values: readonly number[]): number {
  const { mean, stddev } = statistics(values);
  return mean === 0 ? 0 : (100 * stddev) / Math.abs(mean);
}

/**
 * Runs `once` until the policy is satisfied. `valuesOf` gives the numbers a run contributes to the
 * spread (e.g. one per instance). The first error ends the loop: a job is published whole or not.
 */
export async function repeat<R>(
  policy: Repetitions,
  once: () => Promise<R>,
  valuesOf: (run: R) => readonly number[],
): Promise<Repeated<R>> {
  if (policy.warmup) await once();
  const runs: R[] = [];
  let rsd = 0;
  while (runs.length < policy.max) {
    runs.push(await once());
    rsd = rsdPercent(runs.flatMap(valuesOf));
    if (runs.length >= policy.min && rsd <= policy.max_rsd_percent) break;
  }
  return { runs, rsdPercent: rsd };
}
