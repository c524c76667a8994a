// k instances started together on the DUT, in one busybox-sh script: each writes its output and
// exit status to a temporary directory, and the script prints them, framed, once all have ended.
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
