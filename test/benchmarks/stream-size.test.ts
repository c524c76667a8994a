// STREAM's automatic array size: the 4x-cache rule bounded by lmbench's limit, a floor, and the
// DUT's available memory. The sizing script runs under the DUT's real shells, in mount namespaces
// (root: `unshare -m`) where cpu0's caches and /proc/meminfo are what a large-cache VM, a MIPS
// 24Kc or an old kernel show; the size it picks for a 260 MB cache then runs the real lmbench.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ARRAY_SIZE_SCRIPT, parseStream, stream } from '../../src/benchmarks/stream.js';
import {
  autoArrayMib,
  LMBENCH_MAX_ARRAY_MIB,
  LMBENCH_MAX_TOTAL_MIB,
  MEMORY_SCRIPT,
  MIN_AUTO_ARRAY_MIB,
  splitMemoryLine,
} from '../../src/benchmarks/stream-size.js';
import { fakeContext, jobOn } from '../helpers/job-context.js';

const fixturePath = (name: string) => fileURLToPath(new URL(`../fixtures/stream/${name}`, import.meta.url));
const fixture = (name: string) => readFileSync(fixturePath(name), 'utf8');
const MIB = 1024 * 1024;
/** What the sizing script printed under a real shell for a 260 MB cache: the lmbench run below uses it. */
let bigCacheAnswer: string | undefined;

describe('autoArrayMib', () => {
  it('follows the rule where no bound applies, with no note', () => {
    expect(autoArrayMib(32 * MIB, 4, 24e9)).toEqual({ mib: 128, notes: [] });
    expect(autoArrayMib(512 * 1024, 4, undefined)).toEqual({ mib: 2, notes: [] });
  });

  it("caps a 260 MB last-level cache at lmbench's limit, and says why", () => {
    const { mib, notes } = autoArrayMib(266240 * 1024, 4, 24e9);
    expect(mib).toBe(LMBENCH_MAX_ARRAY_MIB);
    expect(3 * mib).toBeLessThanOrEqual(LMBENCH_MAX_TOTAL_MIB);
    expect(notes).toEqual([`array 682 MiB, below 4 x the largest cache (1040 MiB): lmbench holds -M (3 arrays) in a C int, at most 2047M`]);
  });

  it("raises a MIPS 24Kc's 2 KB cache to the floor, and says why", () => {
    expect(autoArrayMib(2048, 4, 200 * MIB)).toEqual({
      mib: MIN_AUTO_ARRAY_MIB,
      notes: [`array 2 MiB, not 4 x the largest cache (2 KiB): below 2 MiB lmbench times its own loop`],
    });
  });

  it('keeps the three arrays within half of the available memory', () => {
    // a 128 MiB router with 60 MiB available and a (reported) 32 MiB cache: 10 MiB per array
    expect(autoArrayMib(32 * MIB, 4, 60 * MIB)).toEqual({
      mib: 10,
      notes: [`array 10 MiB, below 128 MiB: the three arrays may take at most half of the DUT's available memory (61440 KiB)`],
    });
    expect(() => autoArrayMib(32 * MIB, 4, 5 * MIB)).toThrow(/5120 KiB of memory available: not enough .*; set array_mib/);
  });
});

describe('splitMemoryLine', () => {
  it('takes the memory line out of the sizes', () => {
    expect(splitMemoryLine('32K\n512K\nMemAvailable: 24310508\n')).toEqual({ memoryBytes: 24310508 * 1024, rest: '32K\n512K\n' });
    expect(splitMemoryLine('32K\n')).toEqual({ memoryBytes: undefined, rest: '32K\n' });
  });
});

// Real shells, real files: what the job reads on a DUT of each kind.
describe.each([
  ['busybox sh', ['/bin/busybox', 'sh']],
  ['dash', ['/bin/dash']],
])('ARRAY_SIZE_SCRIPT under %s', (_name, shell) => {
  const CPU0 = '/sys/devices/system/cpu/cpu0';
  const run = (script: string, ...setup: string[]) => {
    expect(process.getuid?.(), 'this test needs root, for unshare -m and mount').toBe(0);
    const res = spawnSync('unshare', ['-m', 'sh', '-ec', `${setup.join('\n')}\nexec "$@"`, 'sh', ...shell, '-c', script], {
      encoding: 'utf8',
    });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    return res.stdout;
  };
  /** cpu0's sysfs caches replaced by these sizes (none: no cacheinfo at all). */
  const caches = (...sizes: string[]) => [
    `mount -t tmpfs none ${CPU0}`,
    ...(sizes.length > 0 ? [`mkdir ${CPU0}/cache`] : []),
    ...sizes.map((size, i) => `mkdir ${CPU0}/cache/index${i} && echo ${size} >${CPU0}/cache/index${i}/size`),
  ];
  const meminfo = (name: string) => `mount --bind ${fixturePath(name)} /proc/meminfo`;
  const memAvailable = /^MemAvailable:\s+(\d+) kB$/m.exec(fixture('proc-meminfo-vm.txt'))?.[1];
  const memFree = /^MemFree:\s+(\d+) kB$/m.exec(fixture('proc-meminfo-vm.txt'))?.[1];

  it("prints MemAvailable, or an old kernel's MemFree", () => {
    expect(run(MEMORY_SCRIPT, meminfo('proc-meminfo-vm.txt'))).toBe(`MemAvailable: ${memAvailable}\n`);
    expect(run(MEMORY_SCRIPT, meminfo('proc-meminfo-without-memavailable.txt'))).toBe(`MemFree: ${memFree}\n`);
    expect(run(MEMORY_SCRIPT, 'mount --bind /dev/null /proc/meminfo')).toBe('');
  });

  it("sizes a 260 MB cache VM's arrays at lmbench's limit", () => {
    const answer = run(ARRAY_SIZE_SCRIPT, ...caches('32K', '32K', '512K', '266240K'), meminfo('proc-meminfo-vm.txt'));
    expect(answer).toBe(`32K\n32K\n512K\n266240K\nMemAvailable: ${memAvailable}\n`);
    bigCacheAnswer ??= answer;
  });

  it("sizes a MIPS 24Kc's arrays (2 KB L1, no L2) at the floor, within a 256 MiB device's memory", () => {
    const answer = run(ARRAY_SIZE_SCRIPT, ...caches('2K', '2K'), meminfo('proc-meminfo-without-memavailable.txt'));
    const { memoryBytes, rest } = splitMemoryLine(answer);
    expect(rest).toBe('2K\n2K\n');
    expect(autoArrayMib(2048, 4, memoryBytes).mib).toBe(MIN_AUTO_ARRAY_MIB);
  });
});

it('the real lmbench measures at the size picked for a 260 MB cache VM', async () => {
  const answer = bigCacheAnswer;
  expect(answer, 'the sizing script ran above').toBeDefined();
  const path = spawnSync('sh', ['-c', 'ls /usr/lib/lmbench/bin/*/stream'], { encoding: 'utf8' }).stdout.trim();
  expect(path, 'lmbench (Debian non-free) must be installed: lab/install-deps.sh does').not.toBe('');
  const ctx = fakeContext(async (cmd) => {
    if (cmd === ARRAY_SIZE_SCRIPT) return { stdout: answer ?? '', stderr: '', exitCode: 0 };
    // the job's own command, run for real (stream prints on stderr; the job merges it)
    const res = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 20 });
    return { stdout: res.stdout, stderr: res.stderr, exitCode: res.status ?? 255 };
  });
  const rep = await jobOn(stream, 'host: 198.18.1.2', `{ modes: [native], suites: [stream], path: ${path} }`, {
    mode: 'native',
    suite: 'stream',
    kernel: 'copy',
  }).measure(ctx);
  expect(ctx.dutCommands[1]).toContain(` -M ${3 * LMBENCH_MAX_ARRAY_MIB}M\n`);
  expect(rep.values[0]).toBeGreaterThan(0);
  expect(rep.notes).toEqual([expect.stringContaining('lmbench holds -M (3 arrays) in a C int')]);
}, 120_000);

it('the capture past the limit is what a zero-bandwidth run looks like: a parse failure, never a value', () => {
  expect(() => parseStream(fixture('lmbench-3.0-a9-stream-2148M.txt'))).toThrow(/measured nothing/);
});
