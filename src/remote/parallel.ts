// k instances started together on the DUT, in one busybox-sh script: each writes its output and
// exit status to a temporary directory, and the script prints them, framed, once all have ended.
const FRAME = /^@@edgebench instance (\d+) exit (\d+)@@$/;

export function parallelScript(commands: readonly string[]): string {
  const starts = commands.map((cmd, i) => `( ${cmd}\necho $? >"$d/${i}.rc" ) >"$d/${i}" 2>&1 &`);
  return [
    'd=$(mktemp -d /tmp/edgebench.XXXXXX) || exit 125',
    `trap 'rm -rf "$d"' EXIT`,
    ...starts,
    'wait',
    `i=0; while [ "$i" -lt ${commands.length} ]; do`,
    '  printf \'@@edgebench instance %s exit %s@@\\n\' "$i" "$(cat "$d/$i.rc" 2>/dev/null || echo 255)"',
    '  cat "$d/$i"; i=$((i+1))',
    'done',
  ].join('\n');
}

export interface InstanceOutput {
  instance: number;
  exitCode: number;
  output: string;
}

export function splitParallelOutput(text: string): InstanceOutput[] {
  const out: InstanceOutput[] = [];
  for (const line of text.split('\n')) {
    const frame = FRAME.exec(line);
    if (frame) out.push({ instance: Number(frame[1]), exitCode: Number(frame[2]), output: '' });
    else if (out.length > 0) (out.at(-1) as InstanceOutput).output += `${line}\n`;
  }
  return out;
}
