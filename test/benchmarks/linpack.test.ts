import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hpccInput, parseLinpack } from '../../src/benchmarks/linpack.js';
import { thirdParty } from '../helpers/fixtures.js';

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
