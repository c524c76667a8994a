// Reads Prometheus text exposition into samples, for assertions on /metrics.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k as string] = v as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of one series among samples, or undefined. */
export function seriesValue(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** The network paths of a lab round: native through the DUT's own interface, and both containers. */
export const NETDEVS = [
  ['native', 'host'],
  ['lxc', 'veth'],
  ['lxc', 'macvlan'],
] as const;

/**
 * Lookups into the samples one DUT exported (read when called: tests fill them in beforeAll).
 * `value` insists on exactly one series and names the saved exposition when it is not.
 */
export function dutSeries(samples: () => Sample[], dut: string, savedAt: string) {
  const find = (metric: string, labels: Record<string, string> = {}) =>
    samples().filter((s) => s.name === metric && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  const value = (metric: string, labels: Record<string, string>) => {
    const found = find(metric, { dut, ...labels });
    if (found.length !== 1) throw new Error(`${metric} ${JSON.stringify(labels)}: ${found.length} series (see ${savedAt})`);
    return (found[0] as Sample).value;
  };
  return { find, value };
}
