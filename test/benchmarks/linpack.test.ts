import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hpccInput, linpack, parseLinpack } from '../../src/benchmarks/linpack.js';
import type { DutConfig } from '../../src/config-file/schema.js';
import { thirdParty } from '../helpers/fixtures.js';
import { dutConfigIssues, FIVE_REPETITIONS, fakeContext, jobOn, parallelDut, parseDut, planOn } from '../helpers/job-context.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/linpack/${name}`, import.meta.url), 'utf8');

/** The text between two marker lines of a real capture (markers excluded). */
const between = (text: string, from: string, to: string) => text.slice(text.indexOf(from) + from.length, text.indexOf(to));

describe('parseLinpack on hpcc outputs', () => {
  it('reads hpcc 1.5.0 run natively in the lab (N = 1000), from the summary section', () => {
    expect(parseLinpack(fixture('hpcc-1.5.0-n1000-native.txt'))).toStrictEqual({
      tool: 'hpcc',
      n: 1000,
      flops: 2656330000, // HPL_Tflops=0.00265633
      seconds: 0.251538,
      residualPassed: true,
    });
  });

  it('reads hpcc 1.5.0 run in an LXC container, past the UCX errors Open MPI prints there', () => {
    expect(parseLinpack(fixture('hpcc-1.5.0-n1000-lxc.txt'))).toStrictEqual({
      tool: 'hpcc',
      n: 1000,
      flops: 2558590000,
      seconds: 0.261146,
      residualPassed: true,
    });
  });

  it('reads hpcc 1.4.2 with P x Q = 2 x 2 (third party, PerfKitBenchmarker)', () => {
    expect(parseLinpack(thirdParty('hpcc-1.4.2-hpl-stream-pkb.txt'))).toStrictEqual({
      tool: 'hpcc',
      n: 39552,
      flops: 33184400000, // HPL_Tflops=0.0331844
      seconds: 1243.1,
      residualPassed: true,
    });
  });

  it('falls back to the table row when the output stops after the HPL section', () => {
    const text = fixture('hpcc-1.5.0-n1000-native.txt');
    expect(parseLinpack(text.slice(0, text.indexOf('Begin of Summary section.')))).toStrictEqual({
      tool: 'hpcc',
      n: 1000,
      flops: 2656000000, // WR11C2R4 ... 0.25 2.656e+00
      seconds: 0.25,
      residualPassed: true,
    });
  });

  it('reads the last run of an hpccoutf.txt that hpcc appended to', () => {
    const native = fixture('hpcc-1.5.0-n1000-native.txt');
    expect(parseLinpack(native + fixture('hpcc-1.5.0-n1000-lxc.txt')).flops).toBe(2558590000);
    expect(() => parseLinpack(native + fixture('hpcc-1.5.0-n1000-truncated.txt'))).toThrow(/no HPL result line/);
  });
});

describe('parseLinpack on standalone HPL (xhpl) outputs', () => {
  it('reads the HPL part of a real hpcc capture, which is xhpl output', () => {
    const hpl = between(fixture('hpcc-1.5.0-n1000-native.txt'), 'Begin of HPL section.\n', 'End of HPL section.');
    expect(hpl).toMatch(/^={80}\nHPLinpack 2\.0 {2}--/);
    expect(parseLinpack(hpl)).toStrictEqual({ tool: 'hpl', n: 1000, flops: 2656000000, seconds: 0.25, residualPassed: true });
  });

  it('reads xhpl 2.1 (third party, a published HPL.out)', () => {
    expect(parseLinpack(fixture('xhpl-2.1-third-party-asc-report.txt'))).toStrictEqual({
      tool: 'hpl',
      n: 35000,
      flops: 1715870000000, // 1.71587e+03 Gflops
      seconds: 16.66,
      residualPassed: true,
    });
  });
});

describe('parseLinpack on the classic linpack C program', () => {
  it('reads netlib linpackc natively: N = 100, the final Kflops line', () => {
    expect(parseLinpack(fixture('linpackc-dp-unroll-native.txt'))).toStrictEqual({ tool: 'linpack', n: 100, flops: 3581463000 });
  });

  it('reads netlib linpackc in an LXC container', () => {
    expect(parseLinpack(fixture('linpackc-dp-unroll-lxc.txt'))).toStrictEqual({ tool: 'linpack', n: 100, flops: 6110711000 });
  });

  it("reads Menninger's linpack.c on a Raspberry Pi: array size 200 is N = 100, the last row's KFLOPS", () => {
    const text = fixture('linpack-menninger-rpi-armv6-third-party.txt');
    const native = between(text, 'native build execution: ./linpack\n', 'cross-compiler build execution');
    expect(parseLinpack(native)).toStrictEqual({ tool: 'linpack', n: 100, flops: 48160731 }); // 512 reps, 48160.731
    expect(parseLinpack(text)).toStrictEqual({ tool: 'linpack', n: 100, flops: 47963620 }); // the second run's last row
  });
});

describe('parseLinpack errors', () => {
  it('rejects a FAILED residual check, quoting it', () => {
    expect(() => parseLinpack(fixture('hpcc-1.5.0-n1000-residual-failed.txt'))).toThrow(
      'HPL residual check FAILED for N=1000: "||Ax-b||_oo/(eps*(||A||_oo*||x||_oo+||b||_oo)*N)=        0.0069379 ...... FAILED"',
    );
  });

  it('rejects truncated outputs', () => {
    expect(() => parseLinpack(fixture('hpcc-1.5.0-n1000-truncated.txt'))).toThrow(
      'hpcc output has no HPL result line (truncated output, or HPL did not run)',
    );
    expect(() => parseLinpack(fixture('hpcc-1.5.0-n1000-truncated-after-row.txt'))).toThrow(
      'hpcc output ends before HPL\'s "End of Tests." (truncated output?)',
    );
    expect(() => parseLinpack(fixture('linpackc-dp-unroll-truncated.txt'))).toThrow(
      'linpack output has no "Kflops ; Reps" result line (truncated output?)',
    );
    const menninger = fixture('linpack-menninger-rpi-armv6-third-party.txt');
    expect(() => parseLinpack(menninger.slice(0, menninger.indexOf('      16   0.50')))).toThrow(
      'linpack output has no KFLOPS row (truncated output?)',
    );
  });

  it('rejects a run whose hpccinf.txt hpcc did not use, quoting HPL', () => {
    expect(() => parseLinpack(fixture('hpcc-1.5.0-invalid-input.txt'))).toThrow(
      'HPL ERROR from process # 0, on line 352 of function HPL_pdinfo: "Number of values of N is less than 1 or greater than 20" ' +
        '(the input file was not used: hpcc then runs its default problem)',
    );
    expect(() => parseLinpack(fixture('hpcc-1.5.0-no-input.txt'))).toThrow(
      'HPL WARNING from process # 0, on line 313 of function HPL_pdinfo: "cannot open file hpccinf.txt"',
    );
  });

  it.each([
    ['busybox-sh-tool-missing.txt', '"ash: nosuchtool-hpcc: not found"'],
    ['mpirun-4.1.4-executable-missing.txt', '"mpirun was unable to find the specified executable file, and therefore"'],
    ['mpirun-4.1.4-as-root-refused.txt', '"mpirun has detected an attempt to run as root."'],
    ['hpcc-1.5.0-lxc-loopback-down.txt', '"[pool0:00025] opal_ifinit: unable to find network interfaces."'],
  ])('rejects %s, quoting its first line', (name, line) => {
    expect(() => parseLinpack(fixture(name))).toThrow(
      `not Linpack output (no HPL result table, hpcc output or linpack Kflops line): ${line}`,
    );
  });

  it('rejects other tools and empty output', () => {
    expect(() => parseLinpack(thirdParty('sysbench-1.0.20-cpu-rpi4.txt'))).toThrow(/^not Linpack output/);
    expect(() => parseLinpack(thirdParty('nuttcp-8.1.4-udp-client-pkb.txt'))).toThrow(/^not Linpack output/);
    expect(() => parseLinpack('')).toThrow('not Linpack output (no HPL result table, hpcc output or linpack Kflops line): empty');
  });
});

describe('hpccInput', () => {
  const lines = (text: string) => text.split('\n');

  it('writes one HPL problem of order N on a 1 x 1 process grid', () => {
    const text = hpccInput(1000);
    const l = lines(text);
    expect(l).toHaveLength(37); // 36 lines, then the final newline
    expect(l.at(-1)).toBe('');
    expect(l.slice(4, 12)).toEqual([
      '1            # of problems sizes (N)',
      '1000         Ns',
      '1            # of NBs',
      '64           NBs',
      '0            PMAP process mapping (0=Row-,1=Column-major)',
      '1            # of process grids (P x Q)',
      '1            Ps',
      '1            Qs',
    ]);
    expect(l[12]).toBe('16.0         threshold');
    expect(l[31]).toMatch(/^#####.*line \(no\. 32\) is ignored/);
    expect(l[32]).toMatch(/^0 +Number of additional problem sizes for PTRANS$/);
  });

  it('takes the block size, never larger than N', () => {
    expect(lines(hpccInput(2000, 128))[7]).toBe('128          NBs');
    expect(lines(hpccInput(50))[7]).toBe('50           NBs');
  });

  it('refuses sizes HPL cannot run', () => {
    expect(() => hpccInput(0)).toThrow(RangeError);
    expect(() => hpccInput(1000.5)).toThrow('hpcc problem size must be a positive integer, got 1000.5');
    expect(() => hpccInput(100, 200)).toThrow('hpcc block size must be an integer from 1 to 100, got 200');
  });
});

describe('linpack jobs', () => {
  const lab = 'host: 198.18.2.2\nlxc_path: /srv/lxc\ncontainers: { pool: [p0, p1, p2, p3] }';
  const jobsOf = (dut: DutConfig) => planOn(linpack, dut);
  const job = (bench: string, labels: Record<string, string>) => jobOn(linpack, lab, bench, labels);
  /**
   * A DUT running one instance, an exec of its own with stderr in stdout: busybox sh answers with
   * the instance's output and exit status. Any other command (the k-instance script) is not expected.
   */
  const oneInstance = (exitCode: number, stdout: string) =>
    fakeContext(async (cmd) => {
      if (!/^\{ .*\n\} <\/dev\/null 2>&1$/s.test(cmd)) throw new Error(`unexpected DUT command: ${cmd}`);
      return { stdout, stderr: '', exitCode };
    });
  /** Each `sh -c '…'` instance script in a DUT command, unquoted as the shell reads it. */
  const scripts = (command: string) =>
    [...command.matchAll(/sh -c '((?:[^']|'\\'')*)'/g)].map((m) => (m[1] ?? '').replaceAll(`'\\''`, `'`));
  const native = fixture('hpcc-1.5.0-n1000-native.txt');
  const lxc = fixture('hpcc-1.5.0-n1000-lxc.txt');

  it('plans one job per mode and instance count, with the contract labels', () => {
    const jobs = jobsOf(parseDut(`${lab}\nbenchmarks: { linpack: { instances: [1, 4] } }`));
    expect(jobs.map((j) => j.labels)).toEqual([
      { mode: 'native', instances: '1' },
      { mode: 'native', instances: '4' },
      { mode: 'lxc', instances: '1' },
      { mode: 'lxc', instances: '4' },
    ]);
    expect(jobs.map((j) => [j.mode, j.netdev, j.family, j.trafficTo, j.timeoutMs])).toEqual(
      Array(4).fill([expect.any(String), '', 'edgebench_linpack_flops', undefined, 600_000]),
    );
    expect(jobs.every((j) => isDeepStrictEqual(j.repetitions, FIVE_REPETITIONS.repetitions))).toBe(true);
    const native = jobsOf(parseDut('host: 198.18.2.2\nbenchmarks: { linpack: { modes: [native], repetitions: 2 } }'));
    expect(native.map((j) => [j.labels.instances, j.repetitions.max])).toEqual([
      ['1', 2],
      ['2', 2],
      ['4', 2],
    ]);
  });

  it('refuses a block size larger than n and lxc mode with too few pool containers, naming the keys', () => {
    expect(
      dutConfigIssues('host: 198.18.2.2\ncontainers: { pool: [p0, p1] }\nbenchmarks: { linpack: { n: 100, block_size: 101 } }'),
    ).toEqual([
      {
        path: 'duts[0].benchmarks.linpack.instances',
        message: expect.stringContaining('4 instances need 4 containers in containers.pool, which has 2'),
      },
      { path: 'duts[0].benchmarks.linpack.block_size', message: 'must be at most n (100)' },
    ]);
    expect(() =>
      parseDut('host: 198.18.2.2\ncontainers: { pool: [p0, p1] }\nbenchmarks: { linpack: { n: 100, block_size: 100, instances: [2] } }'),
    ).not.toThrow();
    expect(() => parseDut('host: 198.18.2.2\nbenchmarks: { linpack: { modes: [native], instances: [16] } }')).not.toThrow();
  });

  it('runs k hpcc instances natively, each in its own working directory, and returns FLOP/s per instance', async () => {
    const ctx = parallelDut([0, native], [0, native]);
    const j = job('{}', { mode: 'native', instances: '2' });
    const rep = await j.measure(ctx);
    expect(rep).toEqual({ values: [2656330000, 2656330000] }); // HPL_Tflops=0.00265633
    // the round makes the directories with the input file, one per instance
    expect(j.workDirs).toEqual([0, 1].map((slot) => ({ where: { kind: 'native' }, slot, files: { 'hpccinf.txt': hpccInput(1000, 64) } })));
    expect(hpccInput(1000, 64)).toContain('\n1000         Ns\n');
    expect(ctx.dutCommands).toHaveLength(1);
    expect(ctx.dutCommands[0]).not.toContain('lxc-attach');
    const script = (dir: string) =>
      [
        `cd ${dir} || exit 125`,
        ': >hpccoutf.txt',
        'OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 1 hpcc 2>&1',
        'rc=$?',
        `while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done <hpccoutf.txt`,
        'exit $rc',
      ].join('\n');
    // nothing but builtins beside the tool: no mktemp, cat or rm
    expect(scripts(ctx.dutCommands[0] ?? '')).toEqual([script('/tmp/edgebench.native0'), script('/tmp/edgebench.native1')]);
  });

  it('runs lxc instances one per pool container', async () => {
    const ctx = parallelDut([0, lxc], [0, lxc], [0, lxc], [0, lxc]);
    const rep = await job('{}', { mode: 'lxc', instances: '4' }).measure(ctx);
    expect(rep.values).toEqual([2558590000, 2558590000, 2558590000, 2558590000]);
    for (const c of ['p0', 'p1', 'p2', 'p3'])
      expect(ctx.dutCommands[0]).toContain(`lxc-attach -P /srv/lxc -n ${c} -v "EDGEBENCH_JOB=$EDGEBENCH_JOB" -- sh -c '`);
  });

  it('fails as parse when hpcc solved another N than the configured n, which its script asked for', async () => {
    const ctx = oneInstance(0, native);
    const bench = '{ n: 2000, block_size: 128, mpirun: /opt/mpi/bin/mpirun, path: /opt/hpcc }';
    const j = job(bench, { mode: 'native', instances: '1' });
    await expect(j.measure(ctx)).rejects.toMatchObject({
      reason: 'parse',
      message: 'hpcc on DUT d1 (native) solved N = 1000, not the configured 2000: was its input file read?',
      output: native,
    });
    const script = scripts(ctx.dutCommands[0] ?? '')[0];
    expect(j.workDirs?.[0]?.files).toEqual({ 'hpccinf.txt': hpccInput(2000, 128) });
    expect(script).toContain('OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 /opt/mpi/bin/mpirun -np 1 /opt/hpcc 2>&1');
  });

  it.each([
    ['hpcc-1.5.0-no-input.txt', 'HPL WARNING from process # 0, on line 313 of function HPL_pdinfo: "cannot open file hpccinf.txt"'],
    ['hpcc-1.5.0-n1000-residual-failed.txt', 'HPL residual check FAILED for N=1000'],
    ['hpcc-1.5.0-n1000-truncated.txt', 'hpcc output has no HPL result line'],
  ])('fails as parse on %s', async (name, message) => {
    const run = job('{}', { mode: 'lxc', instances: '2' }).measure(parallelDut([0, lxc], [0, fixture(name)]));
    await expect(run).rejects.toMatchObject({
      reason: 'parse',
      message: expect.stringContaining(`hpcc on DUT d1 (lxc container p1): ${message}`),
    });
  });

  it('classifies a missing tool and a failing mpirun, naming the context', async () => {
    const missing = job('{}', { mode: 'native', instances: '1' }).measure(oneInstance(127, fixture('busybox-sh-tool-missing.txt')));
    await expect(missing).rejects.toMatchObject({
      reason: 'tool_missing',
      message: 'hpcc not found on DUT d1 (native): ash: nosuchtool-hpcc: not found',
    });
    const ctx = oneInstance(1, fixture('hpcc-1.5.0-lxc-loopback-down.txt'));
    const down = job('{}', { mode: 'lxc', instances: '1' }).measure(ctx);
    await expect(down).rejects.toMatchObject({
      reason: 'exit_status',
      message: expect.stringMatching(/^hpcc exited with 1 on DUT d1 \(lxc container p0\): /),
      output: fixture('hpcc-1.5.0-lxc-loopback-down.txt'),
    });
    expect(ctx.dutCommands).toHaveLength(1);
    expect(ctx.dutCommands[0]).toMatch(/^\{ lxc-attach -P \/srv\/lxc -n p0 -v "EDGEBENCH_JOB=\$EDGEBENCH_JOB" -- sh -c '/);
  });

  it('runs the classic linpack program as it is, its N being its own', async () => {
    const ctx = oneInstance(0, fixture('linpackc-dp-unroll-native.txt'));
    const rep = await job('{ tool: linpack, path: /root/linpack }', { mode: 'native', instances: '1' }).measure(ctx);
    expect(rep.values).toEqual([3581463000]);
    expect(ctx.dutCommands).toEqual(["{ sh -c '/root/linpack 2>&1'\n} </dev/null 2>&1"]);
    expect(scripts(ctx.dutCommands[0] ?? '')).toEqual(['/root/linpack 2>&1']);
  });
});
