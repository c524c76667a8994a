import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Job, Repetition } from '../../src/benchmarks/job.js';
import { runJob } from '../../src/engine/job-runner.js';
import { DutResults } from '../../src/engine/results.js';
import { JobError } from '../../src/remote/errors.js';
import { fakeContext } from '../helpers/job-context.js';

const log = pino({ level: 'silent' });
const ctx = fakeContext(async () => {
  throw new Error('no DUT here');
});

/** A job whose repetitions return the given results in turn (an Error is thrown). */
function job(
  results: (Repetition | Error)[],
  repetitions = { min: results.length, max: results.length, max_rsd_percent: 0, warmup: false },
): Job {
  let i = 0;
  return {
    benchmark: 'nuttcp',
    family: 'edgebench_nuttcp_goodput_bytes_per_second',
    mode: 'lxc',
    netdev: 'veth',
    labels: { mode: 'lxc', netdev: 'veth', direction: 'transmit' },
    repetitions,
    timeoutMs: 1000,
    maxOutputBytes: 1 << 20,
    measure: async () => {
      const r = results[i++];
      if (r === undefined) throw new Error('ran too often');
      if (r instanceof Error) throw r;
      return r;
    },
  };
}

const PERF = 'edgebench_perf_branch_misses';

describe('runJob', () => {
  it('publishes the job series and every extra series measured in each repetition, with the raw values', async () => {
    const state = new DutResults();
    const outcome = await runJob(
      job([
        { values: [100], extra: [{ family: PERF, value: 10 }] },
        { values: [110], extra: [{ family: PERF, value: 30 }] },
      ]),
      ctx,
      state,
      log,
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.repetitions).toBe(2);
    expect(outcome.series.map((s) => [s.family, s.stats.mean])).toEqual([
      ['edgebench_nuttcp_goodput_bytes_per_second', 105],
      [PERF, 20],
    ]);
    // the raw values go to the journal (the outcome); /metrics keeps the statistics only
    expect(outcome.series.map((s) => s.samples)).toEqual([
      [[100], [110]],
      [[10], [30]],
    ]);
    const published = [...state.results.values()];
    expect(published.map((r) => [r.family, r.labels.direction, r.stats.mean, r.repetitions])).toEqual([
      ['edgebench_nuttcp_goodput_bytes_per_second', 'transmit', 105, 2],
      [PERF, 'transmit', 20, 2],
    ]);
    expect(published.every((r) => !('samples' in r))).toBe(true);
    expect(state.runsTotal.get('nuttcp')).toBe(1);
  });

  it('leaves out an extra series some repetition did not measure: never a partial mean', async () => {
    const state = new DutResults();
    await runJob(job([{ values: [100], extra: [{ family: PERF, value: 10 }] }, { values: [100] }]), ctx, state, log);
    expect([...state.results.values()].map((r) => r.family)).toEqual(['edgebench_nuttcp_goodput_bytes_per_second']);
  });

  it('gives extra series their own label values (the other STREAM kernels)', async () => {
    const state = new DutResults();
    const j = { ...job([{ values: [5], extra: [{ family: 'f', labels: { direction: 'receive' }, value: 7 }] }]) };
    await runJob(j, ctx, state, log);
    expect([...state.results.values()].map((r) => [r.family, r.labels])).toEqual([
      ['edgebench_nuttcp_goodput_bytes_per_second', { mode: 'lxc', netdev: 'veth', direction: 'transmit' }],
      ['f', { mode: 'lxc', netdev: 'veth', direction: 'receive' }],
    ]);
  });

  it.each([
    ['NaN', { values: [Number.NaN] }],
    ['an infinite value', { values: [Number.POSITIVE_INFINITY] }],
    ['a negative value', { values: [-1] }],
    ['a negative extra series', { values: [1], extra: [{ family: PERF, value: -5 }] }],
    ['no value at all', { values: [] }],
  ])('fails as parse, publishing nothing, on a repetition with %s', async (_what, rep) => {
    const state = new DutResults();
    await runJob(job([{ values: [100] }]), ctx, state, log);
    const outcome = await runJob(job([rep as Repetition]), ctx, state, log);
    expect(outcome.error?.reason).toBe('parse');
    expect(outcome.error?.message).toMatch(/^nuttcp: the output gave .*, not a finite number >= 0$/);
    expect([...state.results.values()].map((r) => r.stats.mean)).toEqual([100]);
  });

  it('bounds every command of the job by its max_output_bytes, unless a call asks for its own', async () => {
    const seen: (number | undefined)[] = [];
    const recording = fakeContext(
      async (_cmd, opts) => {
        seen.push(opts.maxOutputBytes);
        return { stdout: '', stderr: '', exitCode: 0 };
      },
      async (_argv, opts) => {
        seen.push(opts.maxOutputBytes);
        return { stdout: '', stderr: '', exitCode: 0 };
      },
    );
    const j: Job = {
      ...job([], { min: 1, max: 1, max_rsd_percent: 0, warmup: false }),
      maxOutputBytes: 1234,
      async measure(c) {
        await c.exec('tool', { timeoutMs: 1000 });
        await c.local(['client'], { timeoutMs: 1000 });
        await c.exec('probe', { timeoutMs: 1000, maxOutputBytes: 10 });
        return { values: [1] };
      },
    };
    await runJob(j, recording, new DutResults(), log);
    expect(seen).toEqual([1234, 1234, 10]);
  });

  it('passes on the notes of its repetitions, once each', async () => {
    const outcome = await runJob(
      job([
        { values: [1], notes: ['small array'] },
        { values: [1], notes: ['small array'] },
      ]),
      ctx,
      new DutResults(),
      log,
    );
    expect(outcome.notes).toEqual(['small array']);
    expect((await runJob(job([{ values: [1] }]), ctx, new DutResults(), log)).notes).toBeUndefined();
  });

  it('on a failure publishes nothing, keeps the last good value, and counts the reason', async () => {
    const state = new DutResults();
    await runJob(job([{ values: [100] }]), ctx, state, log);
    const outcome = await runJob(job([{ values: [1] }, new JobError('timeout', 'nuttcp timed out', 'partial output')]), ctx, state, log);
    expect(outcome.error).toEqual({ reason: 'timeout', message: 'nuttcp timed out', output: 'partial output' });
    expect(outcome.series).toEqual([]);
    expect([...state.results.values()].map((r) => r.stats.mean)).toEqual([100]);
    expect(state.failuresTotal.get('nuttcp\0timeout')?.count).toBe(1);
    expect(state.runsTotal.get('nuttcp')).toBe(2);
  });

  it('counts an unexpected error as exit_status', async () => {
    const outcome = await runJob(job([new Error('boom')]), ctx, new DutResults(), log);
    expect(outcome.error).toMatchObject({ reason: 'exit_status', message: 'boom' });
  });

  it('repeats adaptively and reports the repetitions actually run', async () => {
    const state = new DutResults();
    const results = [100, 150, 100, 100, 100, 100].map((v) => ({ values: [v] }));
    const outcome = await runJob(job(results, { min: 2, max: 6, max_rsd_percent: 21, warmup: false }), ctx, state, log);
    // RSD after 2 runs 28.3 %, 3: 24.7 %, 4: 22.2 %, 5: 20.3 % → below 21 % at 5
    expect(outcome.repetitions).toBe(5);
    expect([...state.results.values()][0]?.rsdPercent).toBeCloseTo(20.33, 2);
  });

  it('publishes a job that stopped at its maximum with the spread above max_rsd_percent as not settled, and says why', async () => {
    const state = new DutResults();
    const results = [100, 150, 100, 150].map((v) => ({ values: [v], extra: [{ family: PERF, value: 10 }] }));
    const outcome = await runJob(job(results, { min: 2, max: 4, max_rsd_percent: 5, warmup: false }), ctx, state, log);
    expect(outcome.repetitions).toBe(4);
    // its own series spread 23.1 %; the perf count did not vary, so it settled
    expect(outcome.series.map((s) => [s.family, s.settled])).toEqual([
      ['edgebench_nuttcp_goodput_bytes_per_second', false],
      [PERF, true],
    ]);
    expect([...state.results.values()].map((r) => r.settled)).toEqual([false, true]);
    expect(outcome.notes).toEqual([
      'did not settle: 4 repetitions (its maximum) left a relative spread of 23.1%, above max_rsd_percent 5%',
    ]);
  });

  it('calls a fixed count of repetitions settled whatever the spread: it has no spread to reach', async () => {
    const state = new DutResults();
    const outcome = await runJob(job([100, 150].map((v) => ({ values: [v] }))), ctx, state, log);
    expect(outcome.series[0]?.settled).toBe(true);
    expect(outcome.notes).toBeUndefined();
  });
});
