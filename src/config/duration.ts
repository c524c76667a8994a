// Durations as Prometheus writes them: "500ms", "30s", "2m", "1h30m", "1d".
const UNIT_MS: Record<string, number> = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 };
const DURATION = /^(?:\d+(?:ms|s|m|h|d))+$/;

export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    total += Number(n) * (UNIT_MS[unit as string] ?? 0);
  }
  return total > 0 ? total : undefined;
}
