// Files generated from the benchmark registry: the committed ones are what the generator writes
// now, in-process and as `npm run generate` runs it (tsc, then node).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generatedFiles } from '../../generate/generated-files.js';
import { REGION_END, REGION_START, withRatioRules } from '../../prometheus/src/recording-rules.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'edgebench-generate-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The paths under `dir` whose content is not what `expected` says. */
const differences = (dir: string, expected: Record<string, string>) =>
  Object.entries(expected)
    .filter(([path, text]) => {
      try {
        return readFileSync(join(dir, path), 'utf8') !== text;
      } catch {
        return true;
      }
    })
    .map(([path]) => path);

describe('generated files', () => {
  const expected = generatedFiles(root);

  it('are committed as the generator writes them now', () => {
    expect(Object.keys(expected)).toContain('prometheus/tests/lxc-vs-native.yml');
    expect(differences(root, expected), 'run npm run generate').toEqual([]);
  });

  it('keep the hand-written part of the recording rules around their region', () => {
    const text = expected['prometheus/rules/edgebench-recording.yml'] as string;
    expect(text.indexOf(REGION_START)).toBeGreaterThan(0);
    expect(text.indexOf(REGION_END)).toBeGreaterThan(text.indexOf(REGION_START));
    expect(text).toContain('record: edgebench:veth_transmit_regression:threshold_ratio');
    expect(() => withRatioRules('groups: []\n', [])).toThrow(/no generated region/);
  });

  it('are what the compiled generator of `npm run generate` writes (tsc, then node on Node 20)', () => {
    // Compiled inside the repo so that Node finds package.json (ESM) and node_modules, as in the npm script.
    const build = mkdtempSync(join(root, 'dist', 'generate-test-'));
    try {
      execFileSync('npx', ['tsc', '-p', 'generate/tsconfig.json', '--outDir', build], { cwd: root, stdio: 'pipe' });
      const out = join(work, 'out');
      execFileSync(process.execPath, [join(build, 'generate', 'main.js'), out], { cwd: root, stdio: 'pipe' });
      expect(differences(out, expected)).toEqual([]);
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
  }, 120_000);
});
