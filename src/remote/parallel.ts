// k instances started together on the DUT, in one busybox-sh script: each writes its output and
// exit status to a temporary directory, and the script prints them, framed, once all have ended.
// A single instance runs unframed, in an exec of its own.
import type { JobContext } from '../benchmarks/types.js';
import { JobError } from './errors.js';
import { checkedCommandIn, type ExecContext, onDut } from './exec-context.js';
import { toolFailure } from './tool-failure.js';

const FRAME = /^@@edgebench instance (\d+) exit (\d+)@@\n/m;

export function parallelScript(commands: readonly string[]): string {
  // the inner subshell keeps a command's own `exit` or `exec` from skipping the status line
  const starts = commands.map((cmd, i) => `( ( ${cmd}\n); echo $? >"$d/${i}.rc" ) >"$d/${i}" 2>&1 &`);
  return [
    'd=$(mktemp -d /tmp/edgebench.XXXXXX) || exit 125',
    `trap 'rm -rf "$d"' EXIT`,
    ...starts,
    'wait',
    `i=0; while [ "$i" -lt ${commands.length} ]; do`,
    '  printf \'@@edgebench instance %s exit %s@@\\n\' "$i" "$(cat "$d/$i.rc" 2>/dev/null || echo 255)"',
    // a newline after each output, so the next frame starts a line even after `printf abc`
    '  cat "$d/$i"; echo; i=$((i+1))',
    'done',
  ].join('\n');
}

export interface InstanceOutput {
  instance: number;
  exitCode: number;
  output: string;
}

export function splitParallelOutput(text: string): InstanceOutput[] {
  // [before, instance, exit, body, instance, exit, body, …]; each body ends with the script's newline
  const parts = text.split(FRAME);
  const out: InstanceOutput[] = [];
  for (let i = 1; i + 2 < parts.length; i += 3) {
    const body = parts[i + 2] as string;
    out.push({ instance: Number(parts[i]), exitCode: Number(parts[i + 1]), output: body.endsWith('\n') ? body.slice(0, -1) : body });
  }
  return out;
}

/**
 * Runs argv once in each context, all started together, and returns each instance's output with
 * where it ran; a missing tool or a non-zero exit of any instance fails the whole repetition.
 */
export async function runParallel(
  ctx: JobContext,
  where: readonly ExecContext[],
  argv: readonly string[],
  timeoutMs: number,
  /** The tool's name in messages, when argv is a wrapper such as `sh -c`. */
  tool = argv[0] as string,
): Promise<{ where: string; output: string }[]> {
  const commands = where.map((c) => checkedCommandIn(c, argv));
  const result = (instance: number, exitCode: number, output: string) => {
    const on = onDut(ctx.dut, where[instance] as ExecContext);
    const failure = toolFailure(tool, on, exitCode, output);
    if (failure) throw failure;
    return { where: on, output };
  };
  if (commands.length === 1) {
    // one instance needs no framing: no mktemp, cat or rm beside the tool on the DUT. Its input and
    // stderr as in the framed script (a background job reads /dev/null); the newline ends a comment
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
