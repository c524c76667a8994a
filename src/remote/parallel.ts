// k instances started together on the DUT, in one busybox-sh/dash script without temporary files:
// each instance's subshell keeps its output in a variable and, once it ended, prints it a line at
// a time, each line prefixed with the instance ("3|text"), then its exit status ("3$0"). A line is
// one write of a few hundred bytes at most, which a pipe never splits, so instances ending
// together do not mix their lines. Only shells and the tools run on the DUT.
// A single instance runs unframed, in an exec of its own.
import type { DutSession } from './dut-session.js';
import { JobError } from './errors.js';
import { checkedCommandIn, type ExecContext, onDut } from './exec-context.js';
import { toolFailure } from './tool-failure.js';

const LINE = /^(\d+)([|$])(.*)$/;

export function parallelScript(commands: readonly string[]): string {
  // the newline ends a comment; the inner group keeps a command's own `exit` or `exec` inside $()
  const starts = commands.map((cmd, i) => `( out=$( { ${cmd}\n} </dev/null 2>&1 ); emit ${i} $? ) &`);
  return [
    "nl='\n'",
    // $out's lines, each prefixed; then the status. Builtins only
    'emit() {',
    '  [ -z "$out" ] || out=$out$nl',
    '  while [ -n "$out" ]; do',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    '    printf \'%s|%s\\n\' "$1" "${out%%"$nl"*}"',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    '    out=${out#*"$nl"}',
    '  done',
    '  printf \'%s$%s\\n\' "$1" "$2"',
    '}',
    ...starts,
    'wait',
  ].join('\n');
}

export interface InstanceOutput {
  instance: number;
  exitCode: number;
  output: string;
}

/** The instances that reported their status, in order, each with its lines (ending in "\n"). */
export function splitParallelOutput(text: string): InstanceOutput[] {
  const lines = new Map<number, string[]>();
  const status = new Map<number, number>();
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const i = Number(m[1]);
    if (m[2] === '$') status.set(i, Number(m[3]));
    else if (lines.has(i)) lines.get(i)?.push(m[3] as string);
    else lines.set(i, [m[3] as string]);
  }
  return [...status]
    .sort(([a], [b]) => a - b)
    .map(([instance, exitCode]) => {
      const of = lines.get(instance) ?? [];
      return { instance, exitCode, output: of.map((l) => `${l}\n`).join('') };
    });
}

/**
 * Runs argv once in each context (or argv(i) in the i-th), all started together, and returns each instance's output with
 * where it ran; a missing tool or a non-zero exit of any instance fails the whole repetition.
 */
export async function runParallel(
  ctx: DutSession,
  where: readonly ExecContext[],
  /** The same for every instance, or each instance's own. */
  argv: readonly string[] | ((instance: number) => readonly string[]),
  timeoutMs: number,
  /** The tool's name in messages, when argv is a wrapper such as `sh -c`. */
  tool = (typeof argv === 'function' ? argv(0) : argv)[0] as string,
): Promise<{ where: string; output: string }[]> {
  const commands = where.map((c, i) => checkedCommandIn(c, typeof argv === 'function' ? argv(i) : argv));
  const result = (instance: number, exitCode: number, output: string) => {
    const on = onDut(ctx.dut, where[instance] as ExecContext);
    const failure = toolFailure(tool, on, exitCode, output);
    if (failure) throw failure;
    return { where: on, output };
  };
  if (commands.length === 1) {
    // one instance needs no framing: its input and stderr as in the framed script; the newline ends a comment
    const res = await ctx.exec(`{ ${commands[0]}\n} </dev/null 2>&1`, { timeoutMs, signal: ctx.signal });
    return [result(0, res.exitCode, `${res.stdout}${res.stderr}`)];
  }
  const res = await ctx.exec(parallelScript(commands), { timeoutMs, signal: ctx.signal });
  const outputs = splitParallelOutput(res.stdout);
  if (outputs.length !== where.length) {
    throw new JobError(
      'exit_status',
      `expected ${where.length} instance outputs from DUT ${ctx.dut}, got ${outputs.length} (exit ${res.exitCode}): ${res.stderr.trim()}`,
      res.stdout,
    );
  }
  return outputs.map(({ instance, exitCode, output }) => result(instance, exitCode, output));
}
