import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { WorkDir } from '../../src/benchmarks/job.js';
import { RoundWorkDirs } from '../../src/engine/work-dirs.js';
import type { DutExec } from '../../src/remote/dut-session.js';
import { lxc, native } from '../../src/remote/exec-context.js';

/** The DUT's exec, here: `dash -c COMMAND` (busybox sh is run by the parallel and DUT-process tests). */
const dash = (): DutExec => async (command) => {
  const res = spawnSync('dash', ['-c', command], { encoding: 'utf8' });
  return { stdout: res.stdout, stderr: res.stderr, exitCode: res.status ?? 255 };
};

const input = { 'hpccinf.txt': "line 1\nit's 2\n" };

describe('RoundWorkDirs under dash', () => {
  it('makes one private directory per instance, with its files, and removes them', async () => {
    const wanted: WorkDir[] = [
      { where: native, slot: 0, files: input },
      { where: native, slot: 1, files: input },
      { where: native, slot: 0, files: input }, // the same as the first: another job of the round
    ];
    const dirs = new RoundWorkDirs('d1', wanted);
    await dirs.make(dash(), new AbortController().signal);
    const [a, b, again] = wanted.map((d) => dirs.path(d));
    expect(a).toMatch(/^\/tmp\/edgebench\.[A-Za-z0-9]+$/);
    expect(b).not.toBe(a);
    expect(again).toBe(a);
    for (const dir of [a, b] as string[]) {
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(readFileSync(`${dir}/hpccinf.txt`, 'utf8')).toBe(input['hpccinf.txt']);
    }
    expect(await dirs.remove(dash())).toEqual([]);
    expect([a, b].filter((d) => existsSync(d as string))).toEqual([]);
  });

  it('fails the jobs of a directory it could not make, naming DUT, context and what the DUT said', async () => {
    const inContainer: WorkDir = { where: lxc('/srv/lxc', 'p1'), slot: 0, files: input };
    const dirs = new RoundWorkDirs('d1', [{ where: native, slot: 0, files: input }, inContainer]);
    // no such container here (LXC is installed with the lab): the native directory is made, the container's is not
    await dirs.make(dash(), new AbortController().signal);
    expect(() => dirs.path(inContainer)).toThrow(/^no working directory on DUT d1 \(lxc container p1\): lxc-attach: p1: .*Failed to/);
    expect(existsSync(dirs.path({ where: native, slot: 0, files: input }))).toBe(true);
    expect(await dirs.remove(dash())).toEqual([]);
  });

  it('says which directories it left when it cannot remove them', async () => {
    const d: WorkDir = { where: native, slot: 0, files: input };
    const dirs = new RoundWorkDirs('d1', [d]);
    await dirs.make(dash(), new AbortController().signal);
    const path = dirs.path(d);
    expect(await dirs.remove(async () => ({ stdout: '', stderr: 'rm: busy', exitCode: 1 }))).toEqual([`DUT d1 (native):${path}`]);
    expect(await dirs.remove(dash())).toEqual([]);
  });

  it('runs nothing when no job needs a directory', async () => {
    const dirs = new RoundWorkDirs('d1', []);
    const never: DutExec = async () => {
      throw new Error('no command expected');
    };
    await dirs.make(never, new AbortController().signal);
    expect(await dirs.remove(never)).toEqual([]);
  });
});
