import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSysbench, sysbench } from '../../src/benchmarks/sysbench.js';
import { parseConfig } from '../../src/config-file/load.js';
import { JobError } from '../../src/remote/errors.js';
import { thirdParty } from '../helpers/fixtures.js';
import { fakeContext, parallelDut } from '../helpers/job-context.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/sysbench/${name}`, import.meta.url), 'utf8');

describe('parseSysbench on captured outputs', () => {
  it('reads sysbench 1.0.20 run natively in the lab', () => {
    expect(parseSysbench(fixture('sysbench-1.0.20-cpu-native.txt'))).toEqual({
      version: '1.0.20',
      threads: 1,
      primeLimit: 10000,
      totalTimeSeconds: 0.4616,
      events: 2000,
      eventsPerSecond: 4327.1,
    });
  });

  it('reads sysbench 1.0.20 run in an LXC container', () => {
    const s = parseSysbench(fixture('sysbench-1.0.20-cpu-lxc.txt'));
    expect(s.totalTimeSeconds).toBe(0.4761);
    expect(s.events).toBe(2000);
  });

  it('reads the Raspberry Pi 4 output (third party, --test=cpu warning first)', () => {
    const s = parseSysbench(thirdParty('sysbench-1.0.20-cpu-rpi4.txt'));
    expect(s).toMatchObject({ version: '1.0.20', totalTimeSeconds: 10.0005, events: 14891, eventsPerSecond: 1488.3, primeLimit: 10000 });
  });

  it('reads legacy sysbench 0.4.12, which prints no events per second', () => {
    const s = parseSysbench(thirdParty('sysbench-0.4.12-cpu-rpizero.txt'));
    expect(s).toEqual({
      version: '0.4.12',
      threads: 1,
      primeLimit: 10000,
      totalTimeSeconds: 374.2803,
      events: 10000,
      eventsPerSecond: undefined,
    });
  });

  it.each([
    'sysbench-1.0.20-cpu-truncated.txt',
    'sysbench-1.0.20-cpu-bad-option.txt',
    'busybox-sh-tool-missing.txt',
    'lxc-attach-tool-missing.txt',
  ])('rejects %s', (name) => {
    expect(() => parseSysbench(fixture(name))).toThrow(/not sysbench cpu output/);
  });
});

describe('sysbench jobs', () => {
  const dir = new URL('../fixtures/', import.meta.url).pathname;
  const cfg = parseConfig(
    `
duts:
  - name: d1
    host: 198.18.1.2
    identity_file: ${dir}sysbench/CAPTURE.md
    host_key: { fingerprint: "SHA256:E+nYlqxqWbNK1J2HJKOEGWBXxDKgQdX+J68iK94DoKk" }
    lxc_path: /srv/lxc
    containers: { pool: [p0, p1] }
    benchmarks:
      sysbench: { instances: [1, 2], events: 100, repetitions: 2 }
`,
    'inline',
  );
  const dut = cfg.duts[0];
  if (!dut?.benchmarks.sysbench) throw new Error('fixture config lost its DUT');
  const jobs = sysbench.plan(dut.benchmarks.sysbench, dut, { repetitions: { min: 5, max: 5, max_rsd_percent: 0, warmup: false } });
  /**
   * A DUT running one instance, an exec of its own with stderr in stdout: busybox sh answers with
   * the tool's output and exit status. Any other command (the k-instance script) is not expected.
   */
  const oneInstance = (exitCode: number, stdout: string) =>
    fakeContext(async (cmd) => {
      if (!/^\{ .*\n\} <\/dev\/null 2>&1$/s.test(cmd)) throw new Error(`unexpected DUT command: ${cmd}`);
      return { stdout, stderr: '', exitCode };
    });

  it('plans one job per mode and instance count with the contract labels', () => {
    expect(jobs.map((j) => j.labels)).toEqual([
      { mode: 'native', instances: '1' },
      { mode: 'native', instances: '2' },
      { mode: 'lxc', instances: '1' },
      { mode: 'lxc', instances: '2' },
    ]);
    expect(jobs.every((j) => j.repetitions.min === 2 && j.repetitions.max === 2 && j.netdev === '')).toBe(true);
  });

  it('runs lxc instances in distinct pool containers, with fixed work', async () => {
    const job = jobs[3];
    const out = fixture('sysbench-1.0.20-cpu-lxc.txt');
    const ctx = parallelDut([0, out], [0, out]);
    const rep = await job?.measure(ctx);
    expect(rep).toEqual({ values: [0.4761, 0.4761] });
    expect(ctx.dutCommands).toHaveLength(1);
    expect(ctx.dutCommands[0]).toContain('lxc-attach -P /srv/lxc -n p0');
    expect(ctx.dutCommands[0]).toContain('lxc-attach -P /srv/lxc -n p1');
    expect(ctx.dutCommands[0]).toContain('--cpu-max-prime=10000 --events=100 --time=0');
  });

  it('runs one native instance in an exec of its own, unframed', async () => {
    const ctx = oneInstance(0, fixture('sysbench-1.0.20-cpu-native.txt'));
    const rep = await jobs[0]?.measure(ctx);
    expect(rep).toEqual({ values: [0.4616] });
    expect(ctx.dutCommands).toEqual(['{ sysbench cpu --cpu-max-prime=10000 --events=100 --time=0 --threads=1 run\n} </dev/null 2>&1']);
  });

  it('classifies a missing tool, naming the context', async () => {
    const ctx = oneInstance(127, fixture('lxc-attach-tool-missing.txt'));
    const run = jobs[2]?.measure(ctx);
    await expect(run).rejects.toMatchObject({
      reason: 'tool_missing',
      message: expect.stringMatching(/^sysbench not found on DUT d1 \(lxc container p0\): lxc-attach: /),
    });
    expect(ctx.dutCommands).toHaveLength(1);
    expect(ctx.dutCommands[0]).toContain('{ lxc-attach -P /srv/lxc -n p0 -v "EDGEBENCH_JOB=$EDGEBENCH_JOB" -- sysbench cpu ');
    expect(ctx.dutCommands[0]).not.toContain(' -n p1 ');
    const native = jobs[0]?.measure(oneInstance(127, fixture('busybox-sh-tool-missing.txt')));
    await expect(native).rejects.toMatchObject({
      reason: 'tool_missing',
      message: 'sysbench not found on DUT d1 (native): ash: nosuchtool-sysbench: not found',
    });
  });

  it('classifies a non-zero exit and unparsable output', async () => {
    const bad = jobs[0]?.measure(oneInstance(1, fixture('sysbench-1.0.20-cpu-bad-option.txt')));
    await expect(bad).rejects.toMatchObject({
      reason: 'exit_status',
      message: "sysbench exited with 1 on DUT d1 (native): Invalid value for the 'cpu_max_prime' option: 'foo'",
    });
    const truncated = jobs[0]?.measure(oneInstance(0, fixture('sysbench-1.0.20-cpu-truncated.txt')));
    await expect(truncated).rejects.toBeInstanceOf(JobError);
    await expect(truncated).rejects.toMatchObject({ reason: 'parse', output: fixture('sysbench-1.0.20-cpu-truncated.txt') });
  });

  it('fails when an instance output is missing', async () => {
    const run = jobs[1]?.measure(parallelDut([0, fixture('sysbench-1.0.20-cpu-native.txt')]));
    await expect(run).rejects.toMatchObject({
      reason: 'exit_status',
      message: expect.stringContaining('expected 2 instance outputs from DUT d1, got 1'),
    });
  });
});
