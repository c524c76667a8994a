// What a lab round exports, for assertions on one DUT's /metrics.
import type { Sample } from '../../harness/exposition.js';

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
