// npm run generate: writes every generated file (generated-files.ts) under the directory given
// (default: the working directory, the checkout), and removes dashboards no generator writes any
// more. The npm script runs write-registry.ts and compiles again first.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DASHBOARDS_DIR, generatedFiles } from './generated-files.js';

const args = process.argv.slice(2);
const out = args[0] ?? '.';
if (args.length > 1 || out.startsWith('-')) {
  console.error('usage: node dist/generate/generate/main.js [OUTPUT_DIRECTORY]');
  process.exit(2);
}
const files = generatedFiles('.');
mkdirSync(join(out, DASHBOARDS_DIR), { recursive: true });
for (const name of readdirSync(join(out, DASHBOARDS_DIR))) {
  if (name.endsWith('.json') && !(`${DASHBOARDS_DIR}/${name}` in files)) rmSync(join(out, DASHBOARDS_DIR, name));
}
for (const [path, text] of Object.entries(files)) {
  mkdirSync(dirname(join(out, path)), { recursive: true });
  writeFileSync(join(out, path), text);
}
console.log(`wrote ${Object.keys(files).join(', ')}`);
