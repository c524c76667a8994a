// This checkout, as the tests and the benchmarks see it, and the edgebench CLI they run.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout's root, with a trailing slash: the nearest directory above this module holding a
 * package.json. A fixed `../` would not do: this module runs from harness/ (vitest) and from
 * dist-bench/harness/ (the benchmarks' build).
 */
export const repoRoot = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return `${dir}/`;
})();

/** The edgebench run: this checkout's build, or another one's (EDGEBENCH_CLI, for a benchmark's "before" figures). */
export const cli = process.env.EDGEBENCH_CLI ?? `${repoRoot}dist/cli.js`;
