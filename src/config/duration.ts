// Durations as Prometheus parses them (ParseDuration in prometheus/common's model/time.go), so that
// a value reads the same here as in prometheus.yml: a number and a unit, repeated, the units y
// (365d), w (7d), d, h, m, s, ms, each at most once and from the largest to the smallest ("1h30m",
// not "30m1h" nor "1h1h"); "0" alone is the zero duration. Anything longer than Go's time.Duration
// holds (int64 nanoseconds, about 292 years) is out of range.

const UNITS = ['y', 'w', 'd', 'h', 'm', 's', 'ms'] as const;
const UNIT_MS: Record<string, bigint> = {
  y: 365n * 86_400_000n,
  w: 7n * 86_400_000n,
  d: 86_400_000n,
  h: 3_600_000n,
  m: 60_000n,
  s: 1_000n,
  ms: 1n,
};
const MAX_NS = 2n ** 63n - 1n;

/** Why a text is not a duration: `unit order` and `repeated unit` parse token by token but break the order rule. */
export type DurationProblem = 'syntax' | 'no unit' | 'unit order' | 'repeated unit' | 'range';

export type DurationResult = { ms: number } | { problem: DurationProblem };

export function parseDurationResult(text: string): DurationResult {
  if (text === '0') return { ms: 0 };
  if (/^\d+$/.test(text)) return { problem: 'no unit' };
  // ms before m, so that "1ms" is not 1m and a stray "s"
  const tokens = [...text.matchAll(/(\d+)(ms|[ywdhms])/g)];
  if (text === '' || tokens.map((t) => t[0]).join('') !== text) return { problem: 'syntax' };
  let last = -1;
  let ns = 0n;
  for (const [, digits, unit] of tokens) {
    const pos = UNITS.indexOf(unit as (typeof UNITS)[number]);
    if (pos === last) return { problem: 'repeated unit' };
    if (pos < last) return { problem: tokens.slice(0, -1).some((t) => t[2] === unit) ? 'repeated unit' : 'unit order' };
    last = pos;
    ns += BigInt(digits as string) * (UNIT_MS[unit as string] as bigint) * 1_000_000n;
    if (ns > MAX_NS) return { problem: 'range' };
  }
  return { ms: Number(ns / 1_000_000n) };
}

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const result = parseDurationResult(text);
  return 'ms' in result ? result.ms : undefined;
}

/** The JSON Schema pattern of a duration (the 292-year bound is not a pattern's business). */
export const DURATION_PATTERN = '^(?:0|(?=\\d)(?:\\d+y)?(?:\\d+w)?(?:\\d+d)?(?:\\d+h)?(?:\\d+m)?(?:\\d+s)?(?:\\d+ms)?)$';
