import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  ARRAY_SIZE_SCRIPT,
  CACHE_SIZES_SCRIPT,
  parseCacheSizes,
  parseStream,
  STREAM_KERNELS,
  stream,
} from '../../src/benchmarks/stream.js';
import type { DutConfig } from '../../src/config-file/schema.js';
import type { ExecResult } from '../../src/remote/ssh-connection.js';
import { dutConfigIssues, FIVE_REPETITIONS, fakeContext, jobOn, parseDut, planOn } from '../helpers/job-context.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/stream/${name}`, import.meta.url), 'utf8');

describe('parseStream on captured outputs', () => {
  it('reads STREAM run natively in the lab, MB as 10^6 bytes and nanoseconds as 10^-9 s', () => {
    expect(parseStream(fixture('lmbench-3.0-a9-stream-native.txt'))).toEqual({
      suite: 'stream',
      kernels: {
        copy: { bandwidthBytesPerSecond: 19_670_110_000, latencySeconds: 0.81e-9 },
        scale: { bandwidthBytesPerSecond: 21_399_380_000, latencySeconds: 0.75e-9 },
        add: { bandwidthBytesPerSecond: 20_147_960_000, latencySeconds: 1.19e-9 },
        triad: { bandwidthBytesPerSecond: 22_384_670_000, latencySeconds: 1.07e-9 },
      },
    });
  });

  it('reads STREAM2 run natively; its copy belongs to stream2', () => {
    expect(parseStream(fixture('lmbench-3.0-a9-stream2-native.txt'))).toEqual({
      suite: 'stream2',
      kernels: {
        fill: { bandwidthBytesPerSecond: 12_840_870_000, latencySeconds: 0.62e-9 },
        copy: { bandwidthBytesPerSecond: 14_538_590_000, latencySeconds: 1.1e-9 },
        daxpy: { bandwidthBytesPerSecond: 25_726_530_000, latencySeconds: 0.93e-9 },
        sum: { bandwidthBytesPerSecond: 9_461_890_000, latencySeconds: 0.85e-9 },
      },
    });
  });

  it('reads STREAM and STREAM2 run in an LXC container', () => {
    const s = parseStream(fixture('lmbench-3.0-a9-stream-lxc.txt'));
    expect(s.suite).toBe('stream');
    expect(s.kernels).toMatchObject({
      copy: { bandwidthBytesPerSecond: 25_220_930_000 },
      scale: { bandwidthBytesPerSecond: 21_367_960_000 },
      add: { bandwidthBytesPerSecond: 18_226_690_000 },
      triad: { bandwidthBytesPerSecond: 25_178_380_000, latencySeconds: 0.95e-9 },
    });
    const s2 = parseStream(fixture('lmbench-3.0-a9-stream2-lxc.txt'));
    expect(s2.suite).toBe('stream2');
    expect(s2.kernels).toMatchObject({
      fill: { bandwidthBytesPerSecond: 14_246_740_000 },
      copy: { bandwidthBytesPerSecond: 26_231_120_000 },
      daxpy: { bandwidthBytesPerSecond: 37_582_940_000 },
      sum: { bandwidthBytesPerSecond: 9_614_460_000, latencySeconds: 0.83e-9 },
    });
  });

  it('returns exactly the kernels of the suite', () => {
    for (const [name, suite] of [
      ['lmbench-3.0-a9-stream-native.txt', 'stream'],
      ['lmbench-3.0-a9-stream2-native.txt', 'stream2'],
    ] as const) {
      expect(Object.keys(parseStream(fixture(name)).kernels)).toEqual([...STREAM_KERNELS[suite]]);
    }
  });

  it('rejects a text mixing both suites (two invocations)', () => {
    const both = fixture('lmbench-3.0-a9-stream-native.txt') + fixture('lmbench-3.0-a9-stream2-native.txt');
    expect(() => parseStream(both)).toThrow('lmbench stream: the text mixes STREAM and STREAM2 lines');
  });

  it('rejects two runs of the same suite in one text', () => {
    const twice = fixture('lmbench-3.0-a9-stream-native.txt') + fixture('lmbench-3.0-a9-stream-lxc.txt');
    expect(() => parseStream(twice)).toThrow('lmbench stream: "STREAM copy latency" appears twice');
  });

  it('rejects truncated output, naming the missing kernels', () => {
    expect(() => parseStream(fixture('lmbench-3.0-a9-stream-truncated.txt'))).toThrow(
      'lmbench stream output is incomplete (truncated?): no bandwidth line for scale, add, triad',
    );
  });

  it('rejects a zero-length array run (inf latency, 0 MB/sec, exit 0)', () => {
    expect(() => parseStream(fixture('lmbench-3.0-a9-stream-bad-size.txt'))).toThrow(
      'lmbench stream measured nothing (array size -M too small?): "STREAM copy latency: inf nanoseconds"',
    );
  });

  it('quotes the usage line of an unknown option', () => {
    expect(() => parseStream(fixture('lmbench-3.0-a9-stream-bad-option.txt'))).toThrow(
      'lmbench stream rejected its arguments: Usage: /usr/lib/lmbench/bin/x86_64-linux-gnu/stream [-v <stream version 1|2>] [-M <len>[K|M]] [-P <parallelism>] [-W <warmup>] [-N <repetitions>]',
    );
  });

  it.each([
    ['busybox-sh-tool-missing.txt', 'ash: nosuchtool: not found'],
    [
      'lxc-attach-tool-missing.txt',
      'lxc-attach: pool0: ../src/lxc/attach.c: lxc_attach_run_command: 1841 No such file or directory - Failed to exec "nosuchtool"',
    ],
    ['sysfs-cache-sizes.txt', '32K'],
  ])('rejects %s, quoting it', (name, line) => {
    expect(() => parseStream(fixture(name))).toThrow(`not lmbench stream output: no "STREAM <kernel> bandwidth" line (output: "${line}")`);
  });

  it('rejects another tool output and empty text', () => {
    const sysbench = readFileSync(new URL('../fixtures/sysbench/sysbench-1.0.20-cpu-native.txt', import.meta.url), 'utf8');
    expect(() => parseStream(sysbench)).toThrow(/^not lmbench stream output/);
    expect(() => parseStream('')).toThrow('not lmbench stream output: no "STREAM <kernel> bandwidth" line');
  });
});

describe('parseCacheSizes', () => {
  it('returns the largest cache of cpu0 in bytes (K = 1024)', () => {
    expect(parseCacheSizes(fixture('sysfs-cache-sizes.txt'))).toBe(32 * 1024 * 1024);
  });

  it("reads /proc/cpuinfo's cache size line of a kernel without sysfs cacheinfo (KB = 1024)", () => {
    expect(parseCacheSizes(fixture('cpuinfo-cache-size.txt'))).toBe(1024 * 1024);
  });

  it('quotes a line that is no cache size', () => {
    expect(() => parseCacheSizes(fixture('sysfs-cache-sizes-missing.txt'))).toThrow(
      `not a cache size list: "cat: '/sys/devices/system/cpu/cpu0/cache/nosuch*/size': No such file or directory"`,
    );
  });

  it('rejects empty output (neither source) and another tool output', () => {
    expect(() => parseCacheSizes('')).toThrow(
      'no cache sizes: the kernel shows none in /sys/devices/system/cpu/cpu0/cache nor a "cache size" line in /proc/cpuinfo',
    );
    expect(() => parseCacheSizes(fixture('lmbench-3.0-a9-stream-native.txt'))).toThrow(
      'not a cache size list: "STREAM copy latency: 0.81 nanoseconds"',
    );
  });
});

describe('stream jobs', () => {
  const lab = 'host: 198.18.1.2\nlxc_path: /srv/lxc\ncontainers: { pool: [p0, p1] }';
  const S = '/usr/lib/lmbench/bin/x86_64-linux-gnu/stream';
  const jobsOf = (dut: DutConfig) => planOn(stream, dut);
  const job = (bench: string, labels: Record<string, string>) => jobOn(stream, lab, bench, labels);
  const CACHES = ARRAY_SIZE_SCRIPT;
  /** stream's one instance: an exec of its own, stderr in stdout, unframed (see runParallel). */
  const ONE_INSTANCE = /^\{ .*\n\} <\/dev\/null 2>&1$/s;
  /** cpu0's caches as captured (largest 32 MiB), /proc/cpuinfo's line without them, and the script's answer without either. */
  const CACHES_FOUND: ExecResult = { stdout: fixture('sysfs-cache-sizes.txt'), stderr: '', exitCode: 0 };
  const CACHES_CPUINFO: ExecResult = { stdout: fixture('cpuinfo-cache-size.txt'), stderr: '', exitCode: 0 };
  const CACHES_MISSING: ExecResult = { stdout: '', stderr: '', exitCode: 0 };
  /** A DUT whose stream prints `out` and exits with `code`: busybox sh answers with both as they are. */
  const dut = (out: string, code = 0, caches = CACHES_FOUND) =>
    fakeContext(async (cmd) => {
      if (cmd === CACHES) return caches;
      if (ONE_INSTANCE.test(cmd)) return { stdout: out, stderr: '', exitCode: code };
      throw new Error(`unexpected DUT command: ${cmd}`);
    });
  const env = `env 'ENOUGH=100000' 'TIMING_O=0' 'LOOP_O=0'`;
  const GB = 1e6; // lmbench's MB/sec

  it('plans one job per mode and suite, labelled with the first kernel of the suite', () => {
    const jobs = jobsOf(parseDut(`${lab}\nbenchmarks: { stream: {} }`));
    expect(jobs.map((j) => [j.labels, j.mode, j.netdev, j.family, j.trafficTo])).toEqual([
      [{ mode: 'native', suite: 'stream', kernel: 'copy' }, 'native', '', 'edgebench_stream_bandwidth_bytes_per_second', undefined],
      [{ mode: 'native', suite: 'stream2', kernel: 'fill' }, 'native', '', 'edgebench_stream_bandwidth_bytes_per_second', undefined],
      [{ mode: 'lxc', suite: 'stream', kernel: 'copy' }, 'lxc', '', 'edgebench_stream_bandwidth_bytes_per_second', undefined],
      [{ mode: 'lxc', suite: 'stream2', kernel: 'fill' }, 'lxc', '', 'edgebench_stream_bandwidth_bytes_per_second', undefined],
    ]);
    expect(jobs.every((j) => isDeepStrictEqual(j.repetitions, FIVE_REPETITIONS.repetitions) && j.timeoutMs === 300_000)).toBe(true);
    const own = jobsOf(parseDut('host: 198.18.1.2\nbenchmarks: { stream: { modes: [native], suites: [stream2], repetitions: 3 } }'));
    expect(own.map((j) => [j.labels, j.repetitions.min, j.repetitions.max])).toEqual([
      [{ mode: 'native', suite: 'stream2', kernel: 'fill' }, 3, 3],
    ]);
  });

  it('refuses lxc mode without a pool container', () => {
    expect(dutConfigIssues('host: 198.18.1.2\nbenchmarks: { stream: { modes: [native, lxc] } }')).toEqual([
      { path: 'duts[0].benchmarks.stream.modes', message: 'lxc mode runs in the first pool container: containers.pool is empty' },
    ]);
    expect(() => parseDut('host: 198.18.1.2\nbenchmarks: { stream: { modes: [native] } }')).not.toThrow();
  });

  it('names modes, a key stream has, when lxc mode has no pool container', () => {
    expect(dutConfigIssues('host: 198.18.1.2\nbenchmarks: { stream: { modes: [native, lxc] } }').map((i) => i.path)).toEqual([
      'duts[0].benchmarks.stream.modes',
    ]);
  });

  it('runs stream natively with -M = 3 x array_mib, and returns all four kernels: its own in values, the others in extra', async () => {
    const ctx = dut(fixture('lmbench-3.0-a9-stream-native.txt'));
    const rep = await job(`{ array_mib: 100, path: ${S} }`, { mode: 'native', suite: 'stream', kernel: 'copy' }).measure(ctx);
    expect(rep).toEqual({
      values: [19670.11 * GB],
      extra: [
        { family: 'edgebench_stream_bandwidth_bytes_per_second', labels: { kernel: 'scale' }, value: 21399.38 * GB },
        { family: 'edgebench_stream_bandwidth_bytes_per_second', labels: { kernel: 'add' }, value: 20147.96 * GB },
        { family: 'edgebench_stream_bandwidth_bytes_per_second', labels: { kernel: 'triad' }, value: 22384.67 * GB },
      ],
    });
    expect(ctx.dutCommands).toHaveLength(1); // a fixed size reads no cache sizes
    expect(ctx.dutCommands).toEqual([`{ ${env} ${S} -M 300M\n} </dev/null 2>&1`]);
  });

  it('sizes auto arrays at 4 x the largest cache, read once per job, and passes -v 2 for stream2 in the pool container', async () => {
    const ctx = dut(fixture('lmbench-3.0-a9-stream2-lxc.txt'));
    const j = job('{}', { mode: 'lxc', suite: 'stream2', kernel: 'fill' });
    const rep = await j.measure(ctx);
    expect(rep).toEqual({
      values: [14246.74 * GB],
      extra: [
        { family: 'edgebench_stream_bandwidth_bytes_per_second', labels: { kernel: 'copy' }, value: 26231.12 * GB },
        { family: 'edgebench_stream_bandwidth_bytes_per_second', labels: { kernel: 'daxpy' }, value: 37582.94 * GB },
        { family: 'edgebench_stream_bandwidth_bytes_per_second', labels: { kernel: 'sum' }, value: 9614.46 * GB },
      ],
    });
    // 32768K is the largest cache: 4 x 32 MiB per array, three arrays
    expect(ctx.dutCommands[0]).toBe(CACHES);
    expect(ctx.dutCommands[1]).toContain(
      `{ lxc-attach -P /srv/lxc -n p0 -v "EDGEBENCH_JOB=$EDGEBENCH_JOB" -- ${env} stream -v 2 -M 384M\n`,
    );
    expect(ctx.dutCommands[1]).not.toContain(' -n p1 ');
    await j.measure(ctx);
    expect(ctx.dutCommands.filter((c) => c === CACHES)).toHaveLength(1);
  });

  it('takes cache_multiple for auto sizing', async () => {
    const ctx = dut(fixture('lmbench-3.0-a9-stream-native.txt'));
    await job('{ cache_multiple: 2 }', { mode: 'native', suite: 'stream', kernel: 'copy' }).measure(ctx);
    expect(ctx.dutCommands[1]).toBe(`{ ${env} stream -M 192M\n} </dev/null 2>&1`);
  });

  it("sizes auto arrays from /proc/cpuinfo's cache size when sysfs has none", async () => {
    const ctx = dut(fixture('lmbench-3.0-a9-stream-native.txt'), 0, CACHES_CPUINFO);
    await job('{}', { mode: 'native', suite: 'stream', kernel: 'copy' }).measure(ctx);
    // 1024 KB: 4 x 1 MiB per array, three arrays
    expect(ctx.dutCommands).toEqual([CACHES, `{ ${env} stream -M 12M\n} </dev/null 2>&1`]);
  });

  it('fails as parse, asking for array_mib, when the DUT shows no cache sizes', async () => {
    const ctx = dut(fixture('lmbench-3.0-a9-stream-native.txt'), 0, CACHES_MISSING);
    await expect(job('{}', { mode: 'native', suite: 'stream', kernel: 'copy' }).measure(ctx)).rejects.toMatchObject({
      reason: 'parse',
      message: expect.stringMatching(
        /^stream on DUT d1 \(native\): cannot size the arrays from the CPU caches \(no cache sizes: .* nor a "cache size" line in \/proc\/cpuinfo\): set array_mib$/,
      ),
    });
    expect(ctx.dutCommands).toEqual([CACHES]);
  });

  it('fails as parse when the output is of the other suite, truncated or of a zero-length array', async () => {
    const run = (name: string) =>
      job('{ array_mib: 32 }', { mode: 'native', suite: 'stream2', kernel: 'fill' }).measure(dut(fixture(name)));
    await expect(run('lmbench-3.0-a9-stream-native.txt')).rejects.toMatchObject({
      reason: 'parse',
      message: 'stream on DUT d1 (native) printed stream, not stream2',
    });
    await expect(run('lmbench-3.0-a9-stream-truncated.txt')).rejects.toMatchObject({
      reason: 'parse',
      message: expect.stringContaining('truncated?'),
    });
    await expect(run('lmbench-3.0-a9-stream-bad-size.txt')).rejects.toMatchObject({
      reason: 'parse',
      message: expect.stringContaining('measured nothing'),
    });
  });

  it('classifies a missing tool and a rejected option, naming the context', async () => {
    const missing = job('{ array_mib: 32 }', { mode: 'lxc', suite: 'stream', kernel: 'copy' }).measure(
      dut(fixture('lxc-attach-tool-missing.txt'), 127),
    );
    await expect(missing).rejects.toMatchObject({
      reason: 'tool_missing',
      message: expect.stringMatching(/^stream not found on DUT d1 \(lxc container p0\): lxc-attach: /),
    });
    const missingNative = job('{ array_mib: 32 }', { mode: 'native', suite: 'stream', kernel: 'copy' }).measure(
      dut(fixture('busybox-sh-tool-missing.txt'), 127),
    );
    await expect(missingNative).rejects.toMatchObject({
      reason: 'tool_missing',
      message: 'stream not found on DUT d1 (native): ash: nosuchtool: not found',
    });
    const bad = job('{ array_mib: 32 }', { mode: 'native', suite: 'stream', kernel: 'copy' }).measure(
      dut(fixture('lmbench-3.0-a9-stream-bad-option.txt'), 255),
    );
    await expect(bad).rejects.toMatchObject({
      reason: 'exit_status',
      message: expect.stringMatching(/^stream exited with 255 on DUT d1 \(native\): Usage: /),
    });
  });
});

// The script under the DUT's shells, in a mount namespace of its own (root: `unshare -m`): cpu0's
// sysfs directory replaced by a tmpfs holding the captured sizes or nothing, and /proc/cpuinfo by
// the captured one or an empty file.
describe.each([
  ['busybox sh', ['/bin/busybox', 'sh']],
  ['dash', ['/bin/dash']],
])('CACHE_SIZES_SCRIPT under %s', (_name, shell) => {
  const CPU0 = '/sys/devices/system/cpu/cpu0';
  const cpuinfo = fileURLToPath(new URL('../fixtures/stream/proc-cpuinfo-amd-epyc-vm.txt', import.meta.url));
  const run = (...setup: string[]) => {
    expect(process.getuid?.(), 'this test needs root, for unshare -m and mount').toBe(0);
    const res = spawnSync('unshare', ['-m', 'sh', '-ec', `${setup.join('\n')}\nexec "$@"`, 'sh', ...shell, '-c', CACHE_SIZES_SCRIPT], {
      encoding: 'utf8',
    });
    return { stdout: res.stdout, stderr: res.stderr, status: res.status };
  };
  const hideCpu0 = `mount -t tmpfs none ${CPU0}`;

  it("prints the sizes in cpu0's sysfs cacheinfo, one a line, and nothing of /proc/cpuinfo", () => {
    const sizes = fixture('sysfs-cache-sizes.txt').trim().split('\n');
    const made = sizes.map((size, i) => `mkdir ${CPU0}/cache/index${i} && echo ${size} >${CPU0}/cache/index${i}/size`);
    expect(run(hideCpu0, `mkdir ${CPU0}/cache`, ...made, `mount --bind ${cpuinfo} /proc/cpuinfo`)).toEqual({
      stdout: fixture('sysfs-cache-sizes.txt'),
      stderr: '',
      status: 0,
    });
  });

  it("prints /proc/cpuinfo's first cache size line when cpu0 has no cacheinfo", () => {
    expect(run(hideCpu0, `mount --bind ${cpuinfo} /proc/cpuinfo`)).toEqual({
      stdout: fixture('cpuinfo-cache-size.txt'),
      stderr: '',
      status: 0,
    });
  });

  it('prints nothing, and exits 0, when neither has a size', () => {
    expect(run(hideCpu0, 'mount --bind /dev/null /proc/cpuinfo')).toEqual({ stdout: '', stderr: '', status: 0 });
  });
});
