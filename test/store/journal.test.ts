// The journal on a real SQLite file: a job and the DUT's state written together, restored into
// /metrics unchanged, pruned by age, refused when the file is not a journal, and exported as CSV.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { cli } from '../../harness/repo.js';
import type { Job, Repetition } from '../../src/benchmarks/job.js';
import { fail, runJob } from '../../src/engine/job-runner.js';
import { DutResults, ResultsStore } from '../../src/engine/results.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { JobError } from '../../src/remote/errors.js';
import { Journal } from '../../src/store/journal.js';
import { ResultsJournal } from '../../src/store/results-journal.js';
import { restoreSnapshot, snapshotOf } from '../../src/store/snapshot.js';
import { fakeContext } from '../helpers/job-context.js';

const log = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'edgebench-journal-'));
const ctx = fakeContext(async () => {
  throw new Error('no DUT here');
});
const meta = {
  configHash: 'c0ffee',
  toolVersion: 'sysbench 1.0.20',
  dutInfo: { arch: 'mips', kernel: '5.15', os: 'OpenWrt', lxcVersion: '5.0' },
};

function job(runs: Repetition[], benchmark = 'stream'): Job {
  let i = 0;
  return {
    benchmark,
    family: 'edgebench_stream_bandwidth_bytes_per_second',
    mode: 'lxc',
    netdev: '',
    labels: { mode: 'lxc', suite: 'stream', kernel: 'copy' },
    repetitions: { min: runs.length, max: runs.length, max_rsd_percent: 0, warmup: false },
    timeoutMs: 1000,
    maxOutputBytes: 1 << 20,
    measure: async () => runs[i++] as Repetition,
  };
}

const stream = (copy: number, scale: number): Repetition => ({
  values: [copy],
  extra: [{ family: 'edgebench_stream_bandwidth_bytes_per_second', labels: { kernel: 'scale' }, value: scale }],
});

async function metricsText(store: ResultsStore): Promise<string> {
  const metrics = createMetrics({ version: 't', store, reload: { successful: true, lastSuccessAt: 0 } });
  return Buffer.concat(await metrics.get({ gzipped: false })).toString();
}

describe('Journal', () => {
  it('writes a job with its raw values and restores the DUT exactly as /metrics showed it', async () => {
    const journal = Journal.open(join(dir, 'a', 'journal.sqlite'));
    const store = new ResultsStore();
    const state = store.dut('d1');
    state.up = true;
    state.info = meta.dutInfo;
    state.perfSupported.set('branch-misses', false);
    const outcome = await runJob(job([stream(1e9, 2e9), stream(1.1e9, 2.2e9)]), ctx, state, log);
    state.recordRun({
      benchmark: 'stream',
      mode: 'lxc',
      netdev: '',
      success: true,
      lastSuccessAt: 1_700_000_000_000,
      durationSeconds: 3,
      repetitions: 2,
    });
    state.roundDurationSeconds = 12.5;
    state.roundCompletedAt = 1_700_000_000_500;
    journal.recordJob(outcome, meta, snapshotOf(state));

    const [row] = [...journal.series()];
    expect(row).toMatchObject({ dut: 'd1', benchmark: 'stream', family: 'edgebench_stream_bandwidth_bytes_per_second', repetitions: 2 });
    expect(JSON.parse(row?.samples ?? '')).toEqual([[1e9], [1.1e9]]);
    expect([...journal.jobs()][0]).toMatchObject({ tool_version: 'sysbench 1.0.20', config_hash: 'c0ffee', reason: null });

    const restored = new ResultsStore();
    const saved = journal.loadStates(['d1', 'gone']);
    expect([...saved.keys()]).toEqual(['d1']);
    restoreSnapshot(saved.get('d1') as never, restored.dut('d1'));
    const before = await metricsText(store);
    expect(before).toContain('edgebench_stream_bandwidth_bytes_per_second{dut="d1",mode="lxc",suite="stream",kernel="scale"} 2100000000');
    expect(await metricsText(restored)).toBe(before);
    journal.close();
  });

  it('keeps a failed job with its reason, message and raw output, and no series', async () => {
    const journal = Journal.open(join(dir, 'failed.sqlite'));
    const state = new DutResults();
    const outcome = fail(
      'd',
      job([]),
      state,
      new JobError('parse', 'stream on DUT d (native): no STREAM output', 'STREAM copy latency: 0.1\n'),
      10,
      20,
    );
    journal.recordJob(outcome, meta, snapshotOf(state));
    expect([...journal.jobs()][0]).toMatchObject({
      reason: 'parse',
      message: 'stream on DUT d (native): no STREAM output',
      raw_output: 'STREAM copy latency: 0.1\n',
      repetitions: 0,
    });
    expect([...journal.series()]).toEqual([]);
    journal.close();
  });

  it('prunes jobs past the retention with their series, and keeps the rest', async () => {
    const journal = Journal.open(join(dir, 'prune.sqlite'));
    const state = new DutResults();
    for (const endedAt of [1_000, 2_000, 3_000]) {
      const o = await runJob(job([stream(1, 2)]), ctx, state, log);
      journal.recordJob({ ...o, endedAt }, meta, snapshotOf(state));
    }
    expect(journal.prune(2_500)).toBe(2);
    expect([...journal.jobs()].map((j) => j.ended_at)).toEqual([3_000]);
    expect([...journal.series()]).toHaveLength(2);
    expect(journal.integrity()).toBe('ok');
    journal.close();
  });

  it('refuses a file that is not a journal, naming it, and leaves it alone', () => {
    const notDb = join(dir, 'notes.txt');
    writeFileSync(notDb, 'these are my notes, not a database\n'.repeat(200));
    expect(() => Journal.open(notDb)).toThrow(`journal ${notDb}: file is not a database`);
    const newer = join(dir, 'newer.sqlite');
    Journal.open(newer).close();
    execFileSync('node', [
      '-e',
      `const D=require('better-sqlite3'); const d=new D(${JSON.stringify(newer)}); d.pragma('user_version = 99'); d.close()`,
    ]);
    expect(() => Journal.open(newer)).toThrow(/written by a newer edgebench \(schema 99/);
  });

  it('counts a failed write and goes on (a read-only journal)', async () => {
    const path = join(dir, 'ro.sqlite');
    Journal.open(path).close();
    const results = new ResultsJournal(Journal.open(path, { readonly: true }), 1e9, log);
    const state = new DutResults();
    const o = await runJob(job([stream(1, 2)]), ctx, state, log);
    results.jobDone({ name: 'd' } as never, state, o);
    expect(results.writeErrors).toBe(1);
    expect(state.results.size).toBe(2);
  });
});

describe('edgebench export', () => {
  it('writes one row per raw value, and one per job with --jobs, quoting raw output as RFC 4180 says', async () => {
    const path = join(dir, 'export.sqlite');
    const journal = Journal.open(path);
    const state = new DutResults();
    const ok = await runJob(job([stream(1e9, 2e9), stream(1.1e9, 2.2e9)]), ctx, state, log);
    journal.recordJob(ok, meta, snapshotOf(state));
    const raw = 'line one, with a comma\n"quoted" line two\n';
    journal.recordJob(fail('d', job([]), state, new JobError('parse', 'unreadable', raw), 5_000, 6_000), meta, snapshotOf(state));
    journal.close();

    const values = parse(execFileSync('node', [cli, 'export', '--journal', path], { encoding: 'utf8' }), { columns: true }) as Record<
      string,
      string
    >[];
    expect(values.map((v) => [v.kernel, v.repetition, v.instance, Number(v.value)])).toEqual([
      ['copy', '1', '1', 1e9],
      ['copy', '2', '1', 1.1e9],
      ['scale', '1', '1', 2e9],
      ['scale', '2', '1', 2.2e9],
    ]);
    expect(values[0]).toMatchObject({
      dut: 'd1',
      benchmark: 'stream',
      mode: 'lxc',
      suite: 'stream',
      tool_version: 'sysbench 1.0.20',
      dut_arch: 'mips',
    });

    const jobs = parse(execFileSync('node', [cli, 'export', '--journal', path, '--jobs'], { encoding: 'utf8' }), {
      columns: true,
    }) as Record<string, string>[];
    expect(jobs.map((j) => [j.success, j.reason, j.raw_output])).toEqual([
      ['true', '', ''],
      ['false', 'parse', raw],
    ]);
    const recent = execFileSync('node', [cli, 'export', '--journal', path, '--jobs', '--since', '2000-01-01'], {
      encoding: 'utf8',
    });
    expect((parse(recent, { columns: true }) as Record<string, string>[]).map((j) => j.success)).toEqual(['true']);
  });

  it('says what is wrong with its arguments', () => {
    const r = (args: string[]) => {
      try {
        execFileSync('node', [cli, 'export', ...args], { encoding: 'utf8', stdio: 'pipe' });
        return { status: 0, stderr: '' };
      } catch (err) {
        return err as { status: number; stderr: string };
      }
    };
    expect(r([])).toMatchObject({ status: 2, stderr: expect.stringContaining('give the configuration (-c FILE') });
    expect(r(['--journal', join(dir, 'missing.sqlite')])).toMatchObject({
      status: 2,
      stderr: expect.stringContaining(`journal ${join(dir, 'missing.sqlite')}:`),
    });
    expect(r(['--journal', join(dir, 'export.sqlite'), '--since', 'yesterday'])).toMatchObject({
      stderr: expect.stringContaining('--since yesterday: must be a duration'),
    });
  });
});
