// Reads a V8 CPU profile (`node --cpu-prof`, e.g. from exporter-scale.js --profile DIR) and prints
// the functions with the most self time, and the most total time (self plus callees), with their
// source location. No benchmark: a reading aid for the profiles behind bench/RESULTS.md.
//
//   npx tsc -p bench/tsconfig.json && node dist-bench/bench/profile-top.js FILE.cpuprofile [TOP]
import { readFileSync } from 'node:fs';
import { table } from './lib/report.js';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: profile-top.js FILE.cpuprofile [TOP]');
  process.exit(2);
}
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const top = Number(topArg ?? 15);
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const label = (n: Node) => {
  const f = n.callFrame;
  const where = f.url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\//, 'node_modules/')
    .replace(/.*\/dist\//, 'dist/');
  return `${f.functionName || '(anonymous)'} ${where}${where ? `:${f.lineNumber + 1}` : ''}`;
};

const self = new Map<string, number>();
const total = new Map<string, number>();
let all = 0;
prof.samples.forEach((id, i) => {
  const dt = prof.timeDeltas[i] ?? 0;
  all += dt;
  const leaf = byId.get(id) as Node;
  self.set(label(leaf), (self.get(label(leaf)) ?? 0) + dt);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur) as Node);
    if (!seen.has(l)) total.set(l, (total.get(l) ?? 0) + dt);
    seen.add(l);
  }
});

const rows = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([l, us]) => [((100 * us) / all).toFixed(1), (us / 1000).toFixed(0), l]);
console.log(`${file}: ${(all / 1e6).toFixed(1)} s sampled\n`);
console.log(table(['self %', 'self ms', 'function'], rows(self)));
console.log();
console.log(table(['total %', 'total ms', 'function'], rows(total)));
