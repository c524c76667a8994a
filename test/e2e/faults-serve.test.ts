// `edgebench serve` under the faults of issue 5 that concern the exporter itself, on a real lab:
// the journal and CSV export, 50 concurrent scrapers during rounds, garbage tool output, reloads
// (SIGHUP, POST /-/reload: invalid and valid), SIGKILL then restart with the DUT unreachable (the
// last results come back, nothing is zeroed), SIGTERM in the middle of a job, basic auth, and
// secrets (a key passphrase, a basic-auth password) that never reach a log, a metric or an answer.
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type Sample, seriesValue } from '../../harness/exposition.js';
import { labDown, labNamespaces, labRoot, labUp, requireRoot } from '../../harness/lab.js';
import { freePort } from '../../harness/ports.js';
import { cli, repoRoot } from '../../harness/repo.js';
import { stddevFamily } from '../../src/metrics/family-names.js';
import { Journal } from '../../src/store/journal.js';
import { labName, liveProcesses, waitFor } from '../helpers/lab.js';
import { ServeProcess } from '../helpers/serve-process.js';

requireRoot('the serve fault-injection test');
const name = labName('fs');
const main = `lab-${name}`;
const alias = `alias-${name}`;
const work = mkdtempSync(join(tmpdir(), 'edgebench-faults-serve-'));
const journalPath = join(work, 'journal.sqlite');
const PASSPHRASE = `key-passphrase-${process.pid}-x7Q`;
const WEB_PASSWORD = `web-password-${process.pid}-k9Z`;
/** Everything any exporter of this file logged or answered: no secret may appear in it. */
let seen = '';
let port = 0;
let lab: { duts: Record<string, unknown>[] } & Record<string, unknown>;
let exporter: ServeProcess | undefined;

const SYSBENCH = 'edgebench_sysbench_cpu_duration_seconds';
const STREAM = 'edgebench_stream_bandwidth_bytes_per_second';
/** The two result families and their standard deviations. */
const RESULT_FAMILIES = [SYSBENCH, STREAM, stddevFamily(SYSBENCH), stddevFamily(STREAM)];

function writeConfig(file: string, change: (cfg: typeof lab, dut: Record<string, unknown>) => void = () => {}): string {
  const cfg = structuredClone(lab);
  change(cfg, cfg.duts[0] as Record<string, unknown>);
  const path = join(work, file);
  writeFileSync(path, stringify(cfg));
  return path;
}

async function record(e: ServeProcess, path: string, init?: RequestInit): Promise<{ status: number; body: string }> {
  const res = await e.get(path, init);
  const body = await res.text();
  seen += body;
  return { status: res.status, body };
}

const results = (samples: Sample[], dut: string) => samples.filter((s) => s.labels.dut === dut && RESULT_FAMILIES.includes(s.name));
const exportCsv = (...args: string[]) => {
  const text = execFileSync('node', [cli, 'export', '--journal', journalPath, ...args], { encoding: 'utf8' });
  seen += text;
  return parseCsv(text, { columns: true }) as Record<string, string>[];
};

beforeAll(async () => {
  const generated = labUp(name, '--pool', '1');
  port = await freePort();
  // a second key, with a passphrase, for the alias DUT (the same device under another name)
  const key = join(work, 'alias-key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASSPHRASE, '-f', key]);
  appendFileSync(join(labRoot, name, 'dut-root/.ssh/authorized_keys'), readFileSync(`${key}.pub`));
  const cfg = parse(readFileSync(generated, 'utf8'));
  const dut = cfg.duts[0];
  dut.benchmarks = {
    sysbench: { modes: ['native'], instances: [1], events: 300, timeout: '30s' },
    stream: { modes: ['native'], suites: ['stream'], array_mib: 4, path: dut.benchmarks.stream.path, timeout: '1m' },
  };
  const { name: _n, identity_file: _i, host_key: _h, benchmarks: _b, ...rest } = dut;
  lab = {
    listen: `127.0.0.1:${port}`,
    schedule: { interval: '6s' },
    repetitions: 1,
    journal: { path: journalPath },
    duts: [
      dut,
      {
        ...rest,
        name: alias,
        identity_file: key,
        passphrase_env: 'EB_TEST_PASSPHRASE',
        host_key: { insecure_skip_verify: true },
        benchmarks: { sysbench: { modes: ['native'], instances: [1], events: 300 } },
      },
    ],
  };
});

afterAll(async () => {
  if (exporter?.proc.exitCode === null) await exporter.kill('SIGKILL');
  labDown(name);
});

describe(`edgebench serve under faults, lab ${name}`, () => {
  it('journals every job (raw values, tool version, DUT info) and exports it as CSV', async () => {
    exporter = await ServeProcess.ready(writeConfig('a.yml'), port, {
      args: ['--web.enable-lifecycle', '--web.enable-admin-api'],
      env: { EB_TEST_PASSPHRASE: PASSPHRASE },
    });
    const e = exporter;
    await waitFor('a round on both DUTs', 120_000, async () => {
      const s = await e.metrics();
      return (
        [main, alias].every((d) => seriesValue(s, 'edgebench_round_last_completion_timestamp_seconds', { dut: d }) !== undefined) ||
        undefined
      );
    });
    const values = exportCsv();
    const sysbench = values.filter((v) => v.family === SYSBENCH);
    expect(new Set(sysbench.map((v) => v.dut))).toEqual(new Set([main, alias]));
    expect(sysbench[0]).toMatchObject({
      benchmark: 'sysbench',
      mode: 'native',
      instances: '1',
      repetition: '1',
      tool_version: 'sysbench 1.0.20',
    });
    expect(Number(sysbench[0]?.value)).toBeGreaterThan(0);
    expect(sysbench[0]?.dut_kernel).toBe(execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
    expect(sysbench[0]?.config_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(values.filter((v) => v.family === STREAM).map((v) => v.kernel))).toEqual(new Set(['copy', 'scale', 'add', 'triad']));
    const warning = new RegExp(`"dut":"${alias}".*HOST KEY NOT VERIFIED`);
    await waitFor('the host key warning', 5_000, async () => warning.test(e.log) || undefined);

    // the admin API, enabled here: a round now on one DUT, and a clear 404 for a DUT it does not know
    expect(await record(e, '/api/v1/admin/rounds?dut=nope', { method: 'POST' })).toMatchObject({ status: 404 });
    const now = await record(e, `/api/v1/admin/rounds?dut=${main}`, { method: 'POST' });
    expect(now.status).toBe(202);
    expect(JSON.parse(now.body)).toEqual({ status: 'success', data: { started: [main] } });
  });

  it('answers 50 concurrent scrapers for 60 s while rounds run: no failed scrape, no torn job', async () => {
    const e = exporter as ServeProcess;
    const before = seriesValue(await e.metrics(), 'edgebench_benchmark_runs_total', { dut: main, benchmark: 'stream' }) ?? 0;
    const deadline = Date.now() + 60_000;
    const failures: string[] = [];
    let scrapes = 0;
    let torn = 0;
    const scraper = async () => {
      let last: number[] | undefined;
      while (Date.now() < deadline) {
        try {
          const res = await e.get('/metrics');
          const text = await res.text();
          if (res.status !== 200) failures.push(`HTTP ${res.status}`);
          scrapes += 1;
          // the four STREAM kernels come from one job: a scrape sees all four new, or all four old
          const kernels = ['copy', 'scale', 'add', 'triad'].map((k) =>
            Number(new RegExp(`^${STREAM}\\{dut="${main}",mode="native",suite="stream",kernel="${k}"\\} (\\S+)$`, 'm').exec(text)?.[1]),
          );
          if (kernels.some(Number.isNaN)) failures.push('a STREAM kernel missing');
          if (last) {
            const changed = kernels.filter((v, i) => v !== last?.[i]).length;
            if (changed !== 0 && changed !== 4) torn += 1;
          }
          last = kernels;
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    await Promise.all(Array.from({ length: 50 }, scraper));
    const after = seriesValue(await e.metrics(), 'edgebench_benchmark_runs_total', { dut: main, benchmark: 'stream' }) ?? 0;
    expect(failures).toEqual([]);
    expect(torn).toBe(0);
    expect(after - before).toBeGreaterThanOrEqual(3); // rounds did run meanwhile
    expect(scrapes).toBeGreaterThan(1000);
  }, 90_000);

  it('keeps the running configuration on an invalid reload, by SIGHUP or POST /-/reload, and says so', async () => {
    const e = exporter as ServeProcess;
    const good = readFileSync(join(work, 'a.yml'), 'utf8');
    writeFileSync(join(work, 'a.yml'), good.replace('events: 300', 'events: -1'));
    e.proc.kill('SIGHUP');
    await waitFor(
      'reload_successful 0',
      10_000,
      async () => seriesValue(await e.metrics(), 'edgebench_config_last_reload_successful', {}) === 0 || undefined,
    );
    await waitFor(
      'the failed reload in the log',
      5_000,
      async () => e.log.includes('reload failed: the running configuration stays') || undefined,
    );
    const post = await record(e, '/-/reload', { method: 'POST' });
    expect(post.status).toBe(500);
    expect(post.body).toContain('duts[0].benchmarks.sysbench.events');
    expect(post.body).not.toMatch(/\n\s+at /);
    const roundAt = seriesValue(await e.metrics(), 'edgebench_round_last_completion_timestamp_seconds', { dut: main }) ?? 0;
    await waitFor('rounds going on with the old configuration', 60_000, async () => {
      const s = await e.metrics();
      return (seriesValue(s, 'edgebench_round_last_completion_timestamp_seconds', { dut: main }) ?? 0) > roundAt || undefined;
    });
    expect(seriesValue(await e.metrics(), 'edgebench_dut_up', { dut: alias })).toBe(1);
  });

  it('applies a valid reload: a removed DUT leaves /metrics; garbage tool output fails with parse, keeps the last good value and the raw output', async () => {
    const e = exporter as ServeProcess;
    const garbage = readFileSync(join(repoRoot, 'test/fixtures/sysbench/sysbench-1.0.20-cpu-truncated.txt'), 'utf8');
    const fixture = join(work, 'sysbench-truncated.txt');
    copyFileSync(join(repoRoot, 'test/fixtures/sysbench/sysbench-1.0.20-cpu-truncated.txt'), fixture);
    const tool = join(work, 'sysbench-truncated');
    writeFileSync(tool, `#!/bin/sh\ncat ${fixture}\n`);
    chmodSync(tool, 0o755);
    const lastGood = seriesValue(await e.metrics(), SYSBENCH, { dut: main, instances: '1' });
    expect(lastGood).toBeGreaterThan(0);
    writeConfig('a.yml', (cfg, dut) => {
      cfg.duts = [dut];
      (dut.benchmarks as { sysbench: Record<string, unknown> }).sysbench.path = tool;
    });
    expect(await record(e, '/-/reload', { method: 'POST' })).toMatchObject({ status: 200 });
    const s = await e.metrics();
    expect(seriesValue(s, 'edgebench_config_last_reload_successful', {})).toBe(1);
    expect(s.filter((x) => x.labels.dut === alias)).toEqual([]);
    // the failure is counted when the job fails, benchmark_success is set when the round ends
    await waitFor('a round with a parse failure', 60_000, async () => {
      const now = await e.metrics();
      const parseFailures =
        seriesValue(now, 'edgebench_benchmark_failures_total', { dut: main, benchmark: 'sysbench', reason: 'parse' }) ?? 0;
      return (
        (parseFailures > 0 &&
          seriesValue(now, 'edgebench_benchmark_success', { dut: main, benchmark: 'sysbench', mode: 'native' }) === 0) ||
        undefined
      );
    });
    const after = await e.metrics();
    expect(seriesValue(after, SYSBENCH, { dut: main, instances: '1' })).toBe(lastGood);
    expect(seriesValue(after, 'edgebench_benchmark_success', { dut: main, benchmark: 'sysbench', mode: 'native' })).toBe(0);
    const failed = exportCsv('--jobs').filter((j) => j.reason === 'parse');
    expect(failed[0]).toMatchObject({ dut: main, benchmark: 'sysbench', success: 'false', raw_output: garbage });
  });

  it('after SIGKILL, restores the last results before any new round, and keeps them while the DUT is unreachable', async () => {
    const e = exporter as ServeProcess;
    await waitFor(
      'a round after the reload',
      60_000,
      async () => (await e.metrics()).some((x) => x.name === 'edgebench_round_duration_seconds') || undefined,
    );
    const before = results(await e.metrics(), main);
    const successAt = (await e.metrics()).filter(
      (x) => x.name === 'edgebench_benchmark_last_success_timestamp_seconds' && x.labels.dut === main,
    );
    expect(before.length).toBe(2 + 8); // sysbench and its stddev, four STREAM kernels and theirs
    seen += e.log;
    expect((await e.kill('SIGKILL')).code).toBe(null);
    const journal = Journal.open(journalPath);
    expect(journal.integrity()).toBe('ok');
    journal.close();

    // the DUT now unreachable (nothing listens on port 1), behind basic auth
    const hash = bcrypt.hashSync(WEB_PASSWORD, 10);
    writeFileSync(join(work, 'web.yml'), stringify({ basic_auth_users: { prometheus: hash } }));
    const config = writeConfig('unreachable.yml', (cfg, dut) => {
      cfg.duts = [{ ...dut, port: 1 }];
      cfg.schedule = { interval: '1h' };
    });
    exporter = await ServeProcess.ready(config, port, {
      args: ['--web.config.file', join(work, 'web.yml')],
      auth: `prometheus:${WEB_PASSWORD}`,
    });
    const restored = await exporter.metrics();
    expect(results(restored, main)).toEqual(before);
    expect(restored.filter((x) => x.name === 'edgebench_benchmark_last_success_timestamp_seconds' && x.labels.dut === main)).toEqual(
      successAt,
    );
    const r = exporter;
    await waitFor(
      'the failed round',
      30_000,
      async () => seriesValue(await r.metrics(), 'edgebench_dut_up', { dut: main }) === 0 || undefined,
    );
    expect(results(await r.metrics(), main)).toEqual(before);

    const wrong = await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Basic ${Buffer.from('prometheus:nope').toString('base64')}` },
    });
    expect(wrong.status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    expect((await record(r, '/-/reload', { method: 'POST' })).status).toBe(403); // not enabled on this one
    expect((await record(r, '/api/v1/admin/rounds', { method: 'POST' })).status).toBe(403);
    seen += r.log;
    await r.kill('SIGTERM');
  });

  it('exits within 10 s of SIGTERM in the middle of a job, kills the remote tool, and leaves the journal whole', async () => {
    const config = writeConfig('long.yml', (cfg, dut) => {
      cfg.duts = [dut, cfg.duts[1] as Record<string, unknown>];
      cfg.schedule = { interval: '1h' };
      dut.benchmarks = { sysbench: { modes: ['native'], instances: [1], events: 2_000_000, timeout: '5m' } };
    });
    // a wrong passphrase in the environment: it must not reach the log either
    exporter = await ServeProcess.ready(config, port, { env: { EB_TEST_PASSPHRASE: 'wrong-passphrase-Zq1' } });
    const e = exporter;
    const namespaces = labNamespaces(name);
    const sysbench = () => liveProcesses((c, p) => /^sysbench cpu/.test(c) && namespaces.has(p.netns));
    await waitFor('sysbench running on the DUT', 30_000, async () => sysbench().length > 0 || undefined);
    const { code, ms } = await e.kill('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(sysbench()).toEqual([]);
    expect(e.log).toMatch(new RegExp(`"dut":"${alias}".*round skipped: DUT unreachable`)); // the wrong passphrase was tried
    seen += e.log;
    const journal = Journal.open(journalPath);
    expect(journal.integrity()).toBe('ok');
    expect([...journal.jobs()].at(-1)).toMatchObject({ dut: main, benchmark: 'sysbench', reason: 'cancelled' });
    journal.close();
  });

  it('never shows a secret in a log line, a metric, an answer or the export', () => {
    seen += exportCsv('--jobs').length;
    expect(seen.length).toBeGreaterThan(10_000);
    for (const secret of [PASSPHRASE, WEB_PASSWORD, 'wrong-passphrase-Zq1', Buffer.from(`prometheus:${WEB_PASSWORD}`).toString('base64')]) {
      expect(seen).not.toContain(secret);
    }
  });
});
