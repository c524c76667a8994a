// Where a command runs on the DUT: its own userland (native) or inside an LXC container.
import { shellCommand, shellQuote } from './shell-quote.js';

export type ExecContext = { kind: 'native' } | { kind: 'lxc'; lxcPath: string; container: string };

export const native: ExecContext = { kind: 'native' };

export function lxc(lxcPath: string, container: string): ExecContext {
  return { kind: 'lxc', lxcPath, container };
}

/** A shell command that runs argv in the context; the job marker is carried into the container. */
export function commandIn(ctx: ExecContext, argv: readonly string[]): string {
  if (ctx.kind === 'native') return shellCommand(argv);
  return `lxc-attach -P ${shellQuote(ctx.lxcPath)} -n ${shellQuote(ctx.container)} -v "EDGEBENCH_JOB=$EDGEBENCH_JOB" -- ${shellCommand(argv)}`;
}

function describeContext(ctx: ExecContext): string {
  return ctx.kind === 'native' ? 'native' : `lxc container ${ctx.container}`;
}

/** "DUT NAME (native)" or "DUT NAME (lxc container C)": where a message says something happened. */
export function onDut(dut: string, ctx: ExecContext): string {
  return `DUT ${dut} (${describeContext(ctx)})`;
}
