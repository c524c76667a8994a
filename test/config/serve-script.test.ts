// scripts/serve.sh checks the configuration as `check-config` does, stops on its errors, and builds
// the lab only for a missing file or `duts: []`. The script runs as a copy in a scratch tree whose
// lab/edgebench-lab is a stub that records its call and fails: no lab is built and no exporter
// starts, even when the script regresses. dist/ is the real build (a symlink).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../harness/repo.js';

const FP = 'SHA256:E+nYo9r5ZtG0yWvS8fQ2mXbL7cK1dH3jP4aR6uT0DoK';
const LAB_LINE = "building the one-host lab 'main'";

let root: string;
let labCalls: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'edgebench-serve-sh-'));
  mkdirSync(join(root, 'scripts'));
  mkdirSync(join(root, 'lab'));
  copyFileSync(join(repoRoot, 'scripts/serve.sh'), join(root, 'scripts/serve.sh'));
  symlinkSync(join(repoRoot, 'dist'), join(root, 'dist'));
  labCalls = join(root, 'lab-calls');
  writeFileSync(join(root, 'lab/edgebench-lab'), `#!/bin/sh\necho "$*" >> '${labCalls}'\nexit 7\n`, { mode: 0o755 });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** serve.sh with the configuration `text` (none: no file), run from the configuration's directory. */
function serve(name: string, text?: string) {
  rmSync(labCalls, { force: true });
  const dir = join(root, name);
  mkdirSync(dir);
  if (text !== undefined) writeFileSync(join(dir, 'edgebench.yml'), text);
  const r = spawnSync('bash', [join(root, 'scripts/serve.sh'), 'edgebench.yml'], {
    cwd: dir,
    env: { ...process.env, EDGEBENCH_SKIP_SETUP: '1', EDGEBENCH_CONFIG: undefined },
    encoding: 'utf8',
    // a regression that reached `serve` would run for ever: it is killed
    timeout: 60_000,
  });
  const labCalled = existsSync(labCalls) ? readFileSync(labCalls, 'utf8') : undefined;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, labCalled, file: join(dir, 'edgebench.yml') };
}

describe('scripts/serve.sh stops on the errors check-config reports, without building the lab', () => {
  it.each([
    [
      'a YAML syntax error',
      'yaml',
      'duts: [\n',
      '  (top): YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1',
    ],
    ['the typo `dut:`', 'typo', 'dut: []\n', '  dut: unknown key; did you mean "duts"?'],
    ['no `duts` key', 'noduts', 'listen: ":9877"\n', '  duts: required; write `duts: []` to measure the built-in lab'],
    [
      'a missing identity_file',
      'nokey',
      `duts:\n  - { name: d1, host: 192.0.2.1, identity_file: keys/missing, host_key: { fingerprint: "${FP}" }, benchmarks: { sysbench: { modes: [native] } } }\n`,
      '  duts[0].identity_file: cannot read KEY: ENOENT',
    ],
  ])('%s', (_what, name, text, line) => {
    const r = serve(name, text);
    const message = line.replace('KEY', join(root, name, 'keys/missing'));
    expect(r.stderr).toBe(`${r.file}: 1 error(s) in the configuration:\n${message}\n`);
    expect(r.status).toBe(2);
    expect(r.labCalled).toBeUndefined();
    expect(r.stdout).toBe('');
  });
});

describe('scripts/serve.sh builds the lab', () => {
  it('when the file does not exist', () => {
    const r = serve('missing');
    expect(r.stderr).toContain(`edgebench: no configuration at ${r.file}: ${LAB_LINE}`);
    expect(r.labCalled).toBe('up main\n');
  });

  it('when the file says `duts: []`', () => {
    const r = serve('empty', 'duts: []\n');
    expect(r.stderr).toContain(`edgebench: ${r.file} says \`duts: []\`: ${LAB_LINE}`);
    expect(r.labCalled).toBe('up main\n');
  });
});
