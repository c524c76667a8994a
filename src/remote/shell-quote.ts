// POSIX single-quote quoting: the only form that busybox ash, dash and bash all read back
// byte for byte. A single quote inside becomes '\'' (close, escaped quote, reopen).
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL byte cannot be passed to a shell');
  // bare when nothing in it is special, unless it would read as a variable assignment (NAME=…)
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(value) && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
