// A user's clone is all they have: no test, script, doc or source may read outside the repository
// (CI runs with a copy of the project's shared folder beside the clone, which would hide it). A
// fresh clone of HEAD, in a temporary directory with nothing beside it, runs the tests that read
// fixtures, and no committed file names a path outside the repository.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../harness/repo.js';

const alone = mkdtempSync(join(tmpdir(), 'edgebench-clone-'));
const clone = join(alone, 'edgebench');

afterAll(() => rmSync(alone, { recursive: true, force: true }));

describe('the repository stands alone', () => {
  it('names no path outside itself in any committed file', () => {
    const hits = spawnSync('git', ['grep', '-n', '-I', '-E', String.raw`\.\./shared|shared/(fixtures|seed|DESIGN)`, 'HEAD', '--', '.'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    // this file's own pattern is the one exception
    const lines = hits.stdout.split('\n').filter((l) => l !== '' && !l.includes('test/repo/self-contained.test.ts'));
    expect(lines).toEqual([]);
  });

  it('passes the tests that read fixtures from a fresh clone with nothing beside it', () => {
    execFileSync('git', ['clone', '-q', '--no-hardlinks', repoRoot, clone]);
    expect(readdirSync(alone)).toEqual(['edgebench']);
    // the dependencies are the lock file's, installed once here: linked, not fetched again
    symlinkSync(join(repoRoot, 'node_modules'), join(clone, 'node_modules'));
    mkdirSync(join(clone, '.test-output'));
    const run = spawnSync('npx', ['vitest', 'run', 'test/benchmarks', 'test/cli', 'test/config'], {
      cwd: clone,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    expect(run.status, `${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`).toBe(0);
    expect(run.stdout).toMatch(/Tests\s+\S*\d+ passed/);
  }, 300_000);
});
