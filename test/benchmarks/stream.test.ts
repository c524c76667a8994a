import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCacheSizes, parseStream, STREAM_KERNELS } from '../../src/benchmarks/stream.js';

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

  it('quotes the error of a kernel without cache information', () => {
    expect(() => parseCacheSizes(fixture('sysfs-cache-sizes-missing.txt'))).toThrow(
      `not a cache size list: "cat: '/sys/devices/system/cpu/cpu0/cache/nosuch*/size': No such file or directory"`,
    );
  });

  it('rejects empty output and another tool output', () => {
    expect(() => parseCacheSizes('')).toThrow('no cache sizes: the output is empty');
    expect(() => parseCacheSizes(fixture('lmbench-3.0-a9-stream-native.txt'))).toThrow(
      'not a cache size list: "STREAM copy latency: 0.81 nanoseconds"',
    );
  });
});
