// SIGKILL while the journal is being written: a child process writes jobs back to back and says
// after each commit; killed at random moments, it must leave a file that opens, passes SQLite's
// integrity check, holds every job it acknowledged, and no job without all of its series.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../harness/repo.js';
import { Journal } from '../../src/store/journal.js';

const SERIES_PER_JOB = 4;

/** Writes jobs until killed; prints the number committed after each. */
const WRITER = `
import { Journal } from '${repoRoot}dist/store/journal.js';
const journal = Journal.open(process.argv[1]);
const samples = Array.from({ length: 10 }, () => Array.from({ length: 4 }, () => Math.random()));
const snapshot = { results: Array.from({ length: 200 }, (_, i) => ({ family: 'f', labels: { i: String(i) }, samples })) };
for (let n = 1; ; n++) {
  const series = Array.from({ length: ${SERIES_PER_JOB} }, (_, k) => ({ family: 'f', labels: { k: String(k) }, stats: { mean: 1, stddev: 0, count: 40 }, samples }));
  const job = { benchmark: 'b', mode: 'native', netdev: '', labels: {} };
  journal.recordJob({ dut: 'd', job, series, repetitions: 10, startedAt: n, endedAt: Date.now() }, { configHash: 'h' }, snapshot);
  process.stdout.write(n + '\\n');
}
`;

async function writeUntilKilled(path: string, afterMs: number): Promise<number> {
  const child = spawn('node', ['--input-type=module', '-e', WRITER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  let acknowledged = 0;
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) acknowledged = Number(line);
  });
  await new Promise((r) => setTimeout(r, afterMs));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('close', r));
  return acknowledged;
}

describe('journal under SIGKILL', () => {
  it('opens intact after each kill, with every acknowledged job whole', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'edgebench-crash-')), 'journal.sqlite');
    let acknowledgedBefore = 0;
    for (let kill = 0; kill < 6; kill++) {
      const acknowledged = acknowledgedBefore + (await writeUntilKilled(path, 700 + Math.random() * 800));
      const journal = Journal.open(path);
      expect(journal.integrity()).toBe('ok');
      const jobs = [...journal.jobs()].length;
      // at most the job in flight (committed, not yet acknowledged) beyond what was acknowledged
      expect(jobs).toBeGreaterThanOrEqual(acknowledged);
      expect(jobs).toBeLessThanOrEqual(acknowledged + 1);
      const perJob = new Map<number, number>();
      for (const s of journal.series()) perJob.set(s.id, (perJob.get(s.id) ?? 0) + 1);
      expect(new Set(perJob.values())).toEqual(new Set([SERIES_PER_JOB]));
      expect(perJob.size).toBe(jobs);
      expect(journal.loadStates(['d']).get('d')?.results).toHaveLength(200);
      journal.close();
      acknowledgedBefore = jobs;
    }
    expect(acknowledgedBefore).toBeGreaterThan(10);
  }, 60_000);
});
