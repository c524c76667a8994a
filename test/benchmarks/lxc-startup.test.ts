// lxc_startup: its parser on the scripts' outputs captured in the lab (test/fixtures/lxc-startup),
// the timing from marker arrivals, what a repetition exports, and its failures and clean-up, on a
// DUT the test plays. test/e2e/lxc-startup.test.ts runs it against the lab's real container.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lxc_startup, MARK, parseLxcStartup } from '../../src/benchmarks/lxc-startup.js';
import type { ExecOptions, ExecResult } from '../../src/remote/ssh-connection.js';
import { dutConfigIssues, fakeContext, jobOn } from '../helpers/job-context.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/lxc-startup/${name}`, import.meta.url), 'utf8');
const DUT = 'host: 198.18.3.2\nlxc_path: /srv/lxc\ncontainers: { pool: [pool0] }';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseLxcStartup', () => {
  it('reads the start script: the state found, MemAvailable, both markers', () => {
    expect(parseLxcStartup(fixture('start.txt'))).toEqual({
      foundState: 'STOPPED',
      memAvailableKib: [23985372],
      marks: ['start', 'running'],
    });
    expect(parseLxcStartup(fixture('start-found-running.txt')).foundState).toBe('RUNNING');
  });

  it('reads the stop script, with and without a memory cgroup', () => {
    expect(parseLxcStartup(fixture('stop-cgroup-v1.txt'))).toEqual({
      cgroupMemoryBytes: 466944,
      memAvailableKib: [23991204],
      marks: ['stop', 'stopped'],
    });
    expect(parseLxcStartup(fixture('stop-no-cgroup.txt')).cgroupMemoryBytes).toBeUndefined();
  });

  it('reads them from an emulated MIPS router with cgroup v2 (memory.current)', () => {
    expect(parseLxcStartup(fixture('start-mipsel.txt'))).toEqual({
      foundState: 'STOPPED',
      memAvailableKib: [222120],
      marks: ['start', 'running'],
    });
    expect(parseLxcStartup(fixture('stop-cgroup-v2-mipsel.txt'))).toEqual({
      cgroupMemoryBytes: 167936,
      memAvailableKib: [222128],
      marks: ['stop', 'stopped'],
    });
  });

  it('refuses output without a marker and numbers that are not whole', () => {
    expect(() => parseLxcStartup(fixture('start-no-such-container.txt'))).toThrow(/no marker line/);
    expect(() => parseLxcStartup(`memavailable_kib 1e9\n${MARK.start}\n`)).toThrow(/memavailable_kib is not a whole number/);
  });
});

/**
 * A DUT that answers the start script with `start`, the stop script with `stop`, each a line at a
 * time through onStdout, with the test machine's clock (performance.now) at `times[line]` ms when
 * that line arrives. Other commands (the clean-up's lxc-stop -k) are recorded and answered 0.
 */
function dut(start: ExecResult, stop: ExecResult, times: Record<string, number>) {
  let clock = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => clock);
  const answer = (res: ExecResult, opts: ExecOptions) => {
    for (const line of res.stdout.split(/(?<=\n)/)) {
      clock = times[line.trim()] ?? clock;
      opts.onStdout?.(line);
    }
    return res;
  };
  return fakeContext(async (cmd, opts) => {
    if (cmd.includes(MARK.start)) return answer(start, opts);
    if (cmd.includes(MARK.stop)) return answer(stop, opts);
    return { stdout: '', stderr: '', exitCode: 0 };
  });
}
const ok = (stdout: string): ExecResult => ({ stdout, stderr: '', exitCode: 0 });
const TIMES = { [MARK.start]: 1000, [MARK.running]: 1250, [MARK.stop]: 4000, [MARK.stopped]: 6000 };

describe('an lxc_startup repetition', () => {
  const job = () => jobOn(lxc_startup, DUT, '{ container: startup0, settle: 1ms }', {});

  it('is one lxc job with no labels besides dut', () => {
    expect(job()).toMatchObject({ benchmark: 'lxc_startup', family: 'edgebench_lxc_start_duration_seconds', mode: 'lxc', netdev: '' });
  });

  it('times start and stop from the markers and exports the memory in bytes', async () => {
    const ctx = dut(ok(fixture('start.txt')), ok(fixture('stop-cgroup-v1.txt')), TIMES);
    expect(await job().measure(ctx)).toEqual({
      values: [0.25],
      extra: [
        { family: 'edgebench_lxc_stop_duration_seconds', value: 2 },
        { family: 'edgebench_lxc_cgroup_memory_bytes', value: 466944 },
        { family: 'edgebench_lxc_memavailable_bytes', labels: { state: 'stopped' }, value: 23985372 * 1024 },
        { family: 'edgebench_lxc_memavailable_bytes', labels: { state: 'running' }, value: 23991204 * 1024 },
      ],
    });
    // both scripts run natively on the DUT, on the configured container and lxc path
    expect(ctx.dutCommands).toHaveLength(2);
    expect(ctx.dutCommands[0]).toContain('lxc-start -P /srv/lxc -n startup0');
    expect(ctx.dutCommands[1]).toContain('lxc-stop -P /srv/lxc -n startup0');
  });

  it('says when it found the container running, and when the container has no memory cgroup', async () => {
    const ctx = dut(ok(fixture('start-found-running.txt')), ok(fixture('stop-no-cgroup.txt')), TIMES);
    const rep = await job().measure(ctx);
    expect(rep.extra?.map((e) => e.family)).not.toContain('edgebench_lxc_cgroup_memory_bytes');
    expect(rep.notes).toEqual([
      'container startup0 was RUNNING, left by an interrupted round: stopped it first',
      'container startup0 has no memory cgroup (none mounted where LXC looks): no cgroup memory',
    ]);
  });

  it('fails with what the DUT said when the container does not exist', async () => {
    const ctx = dut({ stdout: '', stderr: fixture('start-no-such-container.txt'), exitCode: 1 }, ok(''), TIMES);
    await expect(job().measure(ctx)).rejects.toMatchObject({
      reason: 'exit_status',
      message: "lxc-start startup0 exited with 1 on DUT d1 (native): nosuch doesn't exist",
    });
  });

  it('stops the container when the stop script fails, so the next round finds it stopped', async () => {
    const ctx = dut(ok(fixture('start.txt')), { stdout: '', stderr: 'lxc-stop: timed out\n', exitCode: 1 }, TIMES);
    await expect(job().measure(ctx)).rejects.toMatchObject({ reason: 'exit_status' });
    expect(ctx.dutCommands.at(-1)).toBe('lxc-stop -P /srv/lxc -n startup0 -k 2>/dev/null');
  });

  it('is a parse failure when a marker never came', async () => {
    const start = ok(fixture('start.txt').replace(`${MARK.running}\n`, ''));
    await expect(job().measure(dut(start, ok(fixture('stop-cgroup-v1.txt')), TIMES))).rejects.toMatchObject({
      reason: 'parse',
      message: `lxc_startup on DUT d1 (native): no "${MARK.running}" line`,
    });
  });
});

describe('lxc_startup configuration', () => {
  it('refuses a container another job measures in', () => {
    expect(dutConfigIssues(`${DUT}\nbenchmarks: { lxc_startup: { container: pool0 } }`)).toEqual([
      {
        path: 'duts[0].benchmarks.lxc_startup.container',
        message: '"pool0" is containers.pool\'s container: lxc_startup starts and stops a container of its own',
      },
    ]);
  });

  it('requires the container', () => {
    expect(dutConfigIssues(`${DUT}\nbenchmarks: { lxc_startup: {} }`).map((i) => i.path)).toEqual([
      'duts[0].benchmarks.lxc_startup.container',
    ]);
  });
});
