import { readFileSync } from 'node:fs';
import { parsers } from '../benchmarks/index.js';

/** Prints a tool's raw output as parsed samples (JSON); exit 1 when the text is not that tool's. */
export function parseCommand(tool: string, file: string | undefined): number {
  const parse = parsers[tool];
  if (!parse) {
    console.error(`unknown tool "${tool}": one of ${Object.keys(parsers).join(', ')}`);
    return 1;
  }
  const source = !file || file === '-' ? 0 : file;
  try {
    console.log(JSON.stringify(parse(readFileSync(source, 'utf8')), null, 2));
    return 0;
  } catch (err) {
    console.error(`${tool}: ${file && file !== '-' ? file : 'standard input'}: ${(err as Error).message}`);
    return 1;
  }
}
