// A logfmt reader for the tests, written from the format (key=value pairs separated by spaces, a
// value or key in double quotes with backslash escapes), independent of src/log-format.ts.
export function parseLogfmt(line: string): Record<string, string> {
  const fields: Record<string, string> = {};
  let i = 0;
  const token = (): string => {
    if (line[i] === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (j >= line.length) throw new Error(`unterminated quote at ${i}: ${line}`);
      const text = JSON.parse(line.slice(i, j + 1)) as string;
      i = j + 1;
      return text;
    }
    const start = i;
    while (i < line.length && line[i] !== ' ' && line[i] !== '=') {
      if (line[i] === '"' || line.charCodeAt(i) < 0x20) throw new Error(`bare ${JSON.stringify(line[i])} at ${i}: ${line}`);
      i++;
    }
    return line.slice(start, i);
  };
  while (i < line.length) {
    const key = token();
    if (key === '') throw new Error(`empty key at ${i}: ${line}`);
    if (line[i] !== '=') throw new Error(`no '=' after ${key}: ${line}`);
    i++;
    if (key in fields) throw new Error(`key ${key} twice: ${line}`);
    fields[key] = token();
    if (i < line.length && line[i++] !== ' ') throw new Error(`no space after ${key}: ${line}`);
  }
  return fields;
}
