// Where network traffic ends on the DUT: `host` is the DUT's own stack (native), `veth` and
// `macvlan` are the containers on the bridge and on the NIC. Servers run there, clients on the TM.
import { z } from 'zod';
import type { DutTarget } from '../config/dut.js';
import type { Mode } from '../config/fields.js';
import { type ExecContext, lxc, native } from '../remote/exec-context.js';
import type { ParamIssue } from './benchmark.js';
import type { Job, JobBase, JobContext, Repetition } from './job.js';

export const netdev = z.enum(['host', 'veth', 'macvlan']);
export type Netdev = z.infer<typeof netdev>;

/** Seen from the DUT: transmit = the DUT (or its container) sends. */
export const direction = z.enum(['transmit', 'receive']);
export type Direction = z.infer<typeof direction>;

export const netdevsParam = z
  .array(netdev)
  .min(1)
  .optional()
  .meta({ description: 'Defaults to host plus every container configured under containers' });
export const directionsParam = z.array(direction).min(1).default(['transmit', 'receive']);

export interface Endpoint {
  netdev: Netdev;
  mode: Mode;
  where: ExecContext;
  /** The address the TM's client connects to. */
  address: string;
}

/** The netdevs a benchmark measures: those listed, or host plus every configured container. */
function selectedNetdevs(listed: readonly Netdev[] | undefined, dut: DutTarget): Netdev[] {
  return listed ? [...new Set(listed)] : netdev.options.filter((n) => n === 'host' || dut.containers[n] !== undefined);
}

export function endpoint(n: Netdev, dut: DutTarget): Endpoint {
  if (n === 'host') return { netdev: n, mode: 'native', where: native, address: dut.traffic_address ?? dut.host };
  const c = dut.containers[n];
  if (!c) throw new Error(`netdev ${n} needs containers.${n} (checked at load)`);
  return { netdev: n, mode: 'lxc', where: lxc(dut.lxc_path, c.name), address: c.address };
}

export function netdevIssues(listed: readonly Netdev[] | undefined, dut: DutTarget): ParamIssue[] {
  return (listed ?? []).flatMap((n, i) =>
    n !== 'host' && !dut.containers[n]
      ? [{ path: ['netdevs', i], message: `netdev ${n} needs a container: set containers.${n} {name, address} on this DUT` }]
      : [],
  );
}

/** Seconds, as the tools take them: whole seconds, at least 1. */
export const toolSeconds = (ms: number) => Math.max(1, Math.round(ms / 1000));

/** A transfer of `durationMs` must fit in the per-repetition timeout, with room for setup. */
export function durationIssues(durationMs: number, timeoutMs: number): ParamIssue[] {
  return timeoutMs < durationMs + 5_000
    ? [
        {
          path: ['timeout'],
          message: `must be at least duration + 5s (${(durationMs + 5_000) / 1000}s): each repetition runs one transfer`,
        },
      ]
    : [];
}

/**
 * The network benchmarks' plan: one job per netdev and variant (a direction, a protocol, an
 * instance count), labelled mode and netdev first, its traffic going to the netdev's address.
 */
export function networkJobs<V>(
  base: JobBase,
  /** As the benchmark lists them; absent means host plus every configured container. */
  listed: readonly Netdev[] | undefined,
  dut: DutTarget,
  variants: readonly V[],
  labelsOf: (variant: V) => Record<string, string>,
  measure: (ctx: JobContext, ep: Endpoint, variant: V) => Promise<Repetition>,
): Job[] {
  return selectedNetdevs(listed, dut).flatMap((n) => {
    const ep = endpoint(n, dut);
    return variants.map(
      (v): Job => ({
        ...base,
        mode: ep.mode,
        netdev: n,
        labels: { mode: ep.mode, netdev: n, ...labelsOf(v) },
        trafficTo: ep.address,
        measure: (ctx) => measure(ctx, ep, v),
      }),
    );
  });
}
