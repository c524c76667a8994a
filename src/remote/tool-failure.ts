// How a tool's exit tells "not installed" from "failed": busybox sh and dash exit 127 with
// "not found", lxc-attach says "Failed to exec"; a container that is not running is said so (see
// commandIn). Shared by every benchmark so the reason label and the message (DUT, context, tool)
// read the same everywhere.
import type { DutSession } from './dut-session.js';
import { JobError, ToolReportedError } from './errors.js';
import { NOT_RUNNING } from './exec-context.js';

const lastLine = (output: string) => output.trim().split('\n').at(-1) ?? '';

const NOT_RUNNING_LINES = new RegExp(`^${NOT_RUNNING} (\\S+)\n(.*)$`, 'm');

/**
 * The JobError for a command in a container that is not running (see commandIn), naming tool, DUT,
 * context and the container's state; undefined for any other output.
 */
export function containerFailure(tool: string, where: string, output: string): JobError | undefined {
  const m = NOT_RUNNING_LINES.exec(output);
  if (!m) return undefined;
  const state = (m[2] as string).replace(/\s+/g, ' ').trim();
  return new JobError(
    'exit_status',
    `${tool} could not start on ${where}: container ${m[1]} is not running (${state || 'no state'})`,
    output,
  );
}

/** The JobError for a non-zero exit, or undefined when the tool exited 0. */
export function toolFailure(tool: string, where: string, exitCode: number, output: string): JobError | undefined {
  const notRunning = exitCode !== 0 ? containerFailure(tool, where, output) : undefined;
  if (notRunning) return notRunning;
  if (exitCode === 127 || (exitCode !== 0 && /\bnot found\b|Failed to exec/.test(output))) {
    return new JobError('tool_missing', `${tool} not found on ${where}: ${lastLine(output)}`, output);
  }
  if (exitCode !== 0) return new JobError('exit_status', `${tool} exited with ${exitCode} on ${where}: ${lastLine(output)}`, output);
  return undefined;
}

/**
 * Parses a tool's output. The tool's own error report (iperf3 -J exits 0 on one) is `exit_status`;
 * text the parser cannot read is `parse`. The raw text is kept either way.
 */
export function parsed<T>(tool: string, where: string, output: string, parse: (text: string) => T): T {
  try {
    return parse(output);
  } catch (err) {
    const reason = err instanceof ToolReportedError ? 'exit_status' : 'parse';
    throw new JobError(reason, `${tool} on ${where}: ${(err as Error).message}`, output);
  }
}

/** Runs a client on the test machine and parses its output (stdout and stderr together). */
export async function clientResult<T>(ctx: DutSession, argv: readonly string[], timeoutMs: number, parse: (text: string) => T): Promise<T> {
  const res = await ctx.local(argv, { timeoutMs, signal: ctx.signal });
  const output = `${res.stdout}${res.stderr}`;
  const where = `the test machine (client of DUT ${ctx.dut})`;
  if (res.exitCode !== 0) {
    // the tool's own report says more than its exit status: prefer it when the parser finds one
    try {
      parse(output);
    } catch (err) {
      if (err instanceof ToolReportedError) throw new JobError('exit_status', `${argv[0]} on ${where}: ${err.message}`, output);
    }
    throw toolFailure(argv[0] as string, where, res.exitCode, output) as JobError;
  }
  return parsed(argv[0] as string, where, output, parse);
}
