// How far apart a DUT's rounds are meant to be: edgebench_round_interval_seconds, which the
// EdgebenchResultsStale alert multiplies into its threshold (docs/metrics.md, docs/runbook.md).
// cron-parser is what node-schedule reads cron expressions with, so the ticks are the loop's own.
import cronParser from 'cron-parser';
import type { Config } from '../config-file/schema.js';

/**
 * With `interval`, the interval. With `cron`, the span of ticks around `at`: from the last tick at
 * or before it to the first after it, so a DUT that finished its round on a Friday evening under
 * `0 9-17 * * 1-5` waits out the weekend (64 h) without its results counting as stale.
 */
export function roundIntervalSeconds(schedule: Config['schedule'], at: Date): number {
  if ('interval' in schedule) return schedule.interval / 1000;
  const next = cronParser.parseExpression(schedule.cron, { currentDate: at }).next().getTime();
  // back from the next tick rather than from `at`: `at` may be a tick itself
  const last = cronParser
    .parseExpression(schedule.cron, { currentDate: new Date(next) })
    .prev()
    .getTime();
  return (next - last) / 1000;
}
