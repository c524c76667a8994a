// k parallel instances of a CPU or memory tool: k processes natively, or one in each of the first
// k pool containers (the paper's Figs. 2-3), so a container run never shares a container.

import type { DutTarget } from '../config/dut.js';
import type { Mode } from '../config/fields.js';
import { type ExecContext, lxc, native } from '../remote/exec-context.js';
import type { ParamIssue } from './benchmark.js';
import type { Job, JobBase, JobContext, Repetition } from './job.js';

export function instanceContexts(mode: Mode, k: number, dut: DutTarget): ExecContext[] {
  return mode === 'native' ? Array(k).fill(native) : dut.containers.pool.slice(0, k).map((name) => lxc(dut.lxc_path, name));
}

/** lxc mode needs as many pool containers as the largest instance count. */
export function poolIssues(modes: readonly Mode[], instances: readonly number[], dut: DutTarget): ParamIssue[] {
  if (!modes.includes('lxc')) return [];
  const need = Math.max(...instances);
  const have = dut.containers.pool.length;
  return need > have
    ? [
        {
          path: ['instances'],
          message: `lxc mode runs one instance per pool container: ${need} instances need ${need} containers in containers.pool, which has ${have}`,
        },
      ]
    : [];
}

/** The CPU benchmarks' plan: one job per mode and instance count, labelled mode and instances. */
export function instanceJobs(
  base: JobBase,
  modes: readonly Mode[],
  instances: readonly number[],
  dut: DutTarget,
  measure: (ctx: JobContext, where: ExecContext[]) => Promise<Repetition>,
): Job[] {
  return modes.flatMap((mode) =>
    instances.map((k): Job => {
      const where = instanceContexts(mode, k, dut);
      return { ...base, mode, netdev: '', labels: { mode, instances: String(k) }, measure: (ctx) => measure(ctx, where) };
    }),
  );
}
