// Where a command runs on the DUT: its own userland (native) or inside an LXC container.
import { shellCommand, shellQuote } from './shell-quote.js';

export type ExecContext = { kind: 'native' } | { kind: 'lxc'; lxcPath: string; container: string };

export const native: ExecContext = { kind: 'native' };

export function lxc(lxcPath: string, container: string): ExecContext {
  return { kind: 'lxc', lxcPath, container };
}

/** The line printed, on stderr, when a command failed in a container that is not running. */
export const NOT_RUNNING = 'edgebench: lxc container not running:';

/** A shell command that runs argv in the context; the job marker is carried into the container. */
export function commandIn(ctx: ExecContext, argv: readonly string[]): string {
  if (ctx.kind === 'native') return shellCommand(argv);
  return `lxc-attach ${lxcWhere(ctx)} -v "EDGEBENCH_JOB=$EDGEBENCH_JOB" -- ${shellCommand(argv)}`;
}

const lxcWhere = (ctx: { lxcPath: string; container: string }) => `-P ${shellQuote(ctx.lxcPath)} -n ${shellQuote(ctx.container)}`;

/**
 * For after a command failed in ctx: a busybox-sh compound command that prints, on stderr, the
 * NOT_RUNNING line with the container's name and then lxc-info's answer when the container is not
 * running (lxc-attach itself only says "Failed to get init pid"). Its status is 0; `:` for native.
 */
export function notRunningCheck(ctx: ExecContext): string {
  if (ctx.kind === 'native') return ':';
  return [
    `{ eb_lxc_state=$(lxc-info ${lxcWhere(ctx)} -s 2>&1)`,
    // without lxc-info (OpenWrt packages it apart) there is nothing to add to lxc-attach's words
    `case $?:$eb_lxc_state in 127:* | *RUNNING*) ;; *) printf '%s %s\\n%s\\n' ${shellQuote(NOT_RUNNING)} ${shellQuote(ctx.container)} "$eb_lxc_state" >&2 ;; esac; }`,
  ].join('; ');
}

/**
 * commandIn, then, if it failed in a container, notRunningCheck; the exit status is the command's.
 * A script of two lines: run it as a whole (an exec of its own, a subshell), not as a part of a list.
 */
export function checkedCommandIn(ctx: ExecContext, argv: readonly string[]): string {
  if (ctx.kind === 'native') return commandIn(ctx, argv);
  return `${commandIn(ctx, argv)}\neb_rc=$?; [ "$eb_rc" -eq 0 ] || ${notRunningCheck(ctx)}; exit "$eb_rc"`;
}

function describeContext(ctx: ExecContext): string {
  return ctx.kind === 'native' ? 'native' : `lxc container ${ctx.container}`;
}

/** "DUT NAME (native)" or "DUT NAME (lxc container C)": where a message says something happened. */
export function onDut(dut: string, ctx: ExecContext): string {
  return `DUT ${dut} (${describeContext(ctx)})`;
}
