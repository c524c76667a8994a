// Writes the dashboards into the directory given as the only argument (npm run dashboards: grafana/dashboards),
// and removes JSON files there that no dashboard produces any more.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dashboards, render } from './index.js';

const dir = process.argv[2];
if (!dir || process.argv.length > 3) {
  console.error('usage: node dist/grafana/generate.js <output directory>');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
const files = dashboards();
for (const name of readdirSync(dir)) if (name.endsWith('.json') && !(name in files)) rmSync(join(dir, name));
for (const [name, dashboard] of Object.entries(files)) writeFileSync(join(dir, name), render(dashboard));
console.log(`wrote ${Object.keys(files).join(', ')} to ${dir}`);
