// The flags every exporter has, as node_exporter and blackbox_exporter spell them (issue 16), against
// the built CLI: `serve` with no DUT, which is ready in well under a second, and `run` against a DUT
// whose port refuses at once.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseExposition, seriesValue } from '../../harness/exposition.js';
import { freePort } from '../../harness/ports.js';
import { cli, repoRoot } from '../../harness/repo.js';
import { versionText } from '../../src/version.js';
import { parseLogfmt } from './logfmt.js';

const work = mkdtempSync(join(tmpdir(), 'edgebench-flags-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// the level comes from the flags under test, never from the environment the suite runs in
const { EDGEBENCH_LOG_LEVEL: _ignored, ...baseEnv } = process.env;

let configs = 0;
/** A configuration without DUTs listening on 127.0.0.1:port, in a directory of its own (its journal goes there). */
function config(port: number): string {
  const dir = join(work, `c${configs++}`);
  mkdirSync(dir);
  const file = join(dir, 'edgebench.yml');
  writeFileSync(file, `listen: 127.0.0.1:${port}\nduts: []\n`);
  return file;
}

class Serve {
  stderr = '';
  readonly closed: Promise<number | null>;
  private readonly proc: ChildProcess;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.proc = spawn(process.execPath, [cli, 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...baseEnv, ...env } });
    this.proc.stderr?.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s;
    });
    this.closed = new Promise((resolve) => this.proc.once('close', resolve));
  }

  /** Waits for /-/ready on port; throws with its log if it exits first. */
  async ready(port: number): Promise<this> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error(`edgebench serve exited (${this.proc.exitCode}):\n${this.stderr}`);
      const ok = await fetch(`http://127.0.0.1:${port}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return this;
      if (Date.now() > deadline) throw new Error(`edgebench serve not ready on ${port}:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Its log lines, whole ones only. */
  lines(): string[] {
    return this.stderr.split('\n').slice(0, -1);
  }

  /** SIGTERM; resolves once it exited and its stderr is read to the end. */
  async stop(): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    return this.closed;
  }
}

const running: Serve[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function serve(args: string[], port: number, env?: NodeJS.ProcessEnv): Promise<Serve> {
  const s = new Serve(args, env);
  running.push(s);
  return s.ready(port);
}

/** `edgebench ARGS` to its end. */
const edgebench = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...baseEnv, ...env }, timeout: 20_000 });

const json = (lines: string[]) => lines.map((l) => JSON.parse(l) as { level: number; msg: string; [k: string]: unknown });

describe('serve --config.file', () => {
  it.each([['--config.file'], ['-c'], ['--config']])('reads the configuration given with %s', async (flag) => {
    const port = await freePort();
    const s = await serve([flag, config(port)], port);
    expect(await s.stop()).toBe(0);
  });

  it('wants one of them, and only one', async () => {
    const none = edgebench(['serve']);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/required option '--config\.file <file>' not specified/);
    const file = config(await freePort());
    const both = edgebench(['serve', '-c', file, '--config.file', file]);
    expect(both.status).toBe(1);
    expect(both.stderr).toMatch(/cannot be used with/);
  });
});

describe('serve --web.listen-address', () => {
  it('listens there instead of at the configuration’s listen', async () => {
    const [inFile, flag] = [await freePort(), await freePort()];
    const s = await serve(['--config.file', config(inFile), '--web.listen-address', `127.0.0.1:${flag}`], flag);
    expect((await fetch(`http://127.0.0.1:${flag}/metrics`)).status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${inFile}/metrics`)).rejects.toThrow();
    expect(json(s.lines()).find((l) => l.msg === 'edgebench serving /metrics')?.listen).toBe(`127.0.0.1:${flag}`);
  });

  it('is checked as listen is', () => {
    const r = edgebench(['serve', '-c', config(9), '--web.listen-address', 'localhost']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--web\.listen-address.*'localhost' is invalid\. must be "address:port"/);
  });
});

describe('--log.level', () => {
  const debugLines = (s: Serve) => json(s.lines()).filter((l) => l.level === 20);

  it('debug shows debug lines, which info (the default) hides', async () => {
    let port = await freePort();
    const debug = await serve(['-c', config(port), '--log.level', 'debug'], port);
    await debug.stop();
    expect(debugLines(debug).map((l) => l.msg)).toContain('configuration loaded');
    port = await freePort();
    const info = await serve(['-c', config(port)], port);
    await info.stop();
    expect(debugLines(info)).toEqual([]);
    expect(json(info.lines()).map((l) => l.msg)).toContain('edgebench serving /metrics');
  });

  it('falls back to EDGEBENCH_LOG_LEVEL, which the flag overrides', async () => {
    let port = await freePort();
    const fromEnv = await serve(['-c', config(port)], port, { EDGEBENCH_LOG_LEVEL: 'debug' });
    await fromEnv.stop();
    expect(debugLines(fromEnv).length).toBeGreaterThan(0);
    port = await freePort();
    const overridden = await serve(['-c', config(port), '--log.level', 'info'], port, { EDGEBENCH_LOG_LEVEL: 'debug' });
    await overridden.stop();
    expect(debugLines(overridden)).toEqual([]);
  });

  it('warn hides info and shows warnings', async () => {
    const port = await freePort();
    const file = config(port);
    const s = await serve(['-c', file, '--log.level', 'warn', '--web.enable-lifecycle'], port);
    // a changed listen is a warning at reload (and "configuration reloaded" an info line)
    writeFileSync(file, `listen: 127.0.0.1:${port + 1}\nduts: []\n`);
    expect((await fetch(`http://127.0.0.1:${port}/-/reload`, { method: 'POST' })).status).toBe(200);
    await s.stop();
    const lines = json(s.lines());
    expect(lines.map((l) => [l.level, l.msg])).toEqual([[40, 'listen changed: it takes effect at the next start']]);
  });

  it('refuses a level it does not know', () => {
    const r = edgebench(['serve', '-c', config(9), '--log.level', 'verbose']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Allowed choices are debug, info, warn, error/);
  });
});

describe('--log.format', () => {
  it('logfmt writes every record as one logfmt line, to the last one', async () => {
    const port = await freePort();
    const s = await serve(['-c', config(port), '--log.format', 'logfmt', '--log.level', 'debug'], port);
    expect(await s.stop()).toBe(0);
    const records = s.lines().map(parseLogfmt);
    expect(records.map((r) => r.msg)).toEqual([
      'configuration loaded',
      'edgebench serving /metrics',
      'shutting down: cancelling rounds',
      'stopped',
    ]);
    for (const r of records) {
      expect(Object.keys(r).slice(0, 3)).toEqual(['ts', 'level', 'msg']);
      expect(r.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Math.abs(Date.parse(r.ts as string) - Date.now())).toBeLessThan(60_000);
      expect(r).not.toHaveProperty('pid');
    }
    expect(records[0]?.level).toBe('debug');
    expect(records[1]).toMatchObject({ level: 'info', listen: `127.0.0.1:${port}`, tls: 'false', duts: '[]' });
    expect(records[2]).toMatchObject({ level: 'info', signal: 'SIGTERM' });
    expect(s.lines().some((l) => l.startsWith('{'))).toBe(false);
  });

  it('json writes JSON, as without the flag when stderr is no terminal', async () => {
    const port = await freePort();
    const s = await serve(['-c', config(port), '--log.format', 'json'], port);
    await s.stop();
    const records = json(s.lines());
    expect(records.map((r) => r.msg)).toEqual(['edgebench serving /metrics', 'shutting down: cancelling rounds', 'stopped']);
    expect(records[0]).toMatchObject({ level: 30, listen: `127.0.0.1:${port}`, pid: expect.any(Number) });
  });

  it('applies to run, whose progress lines stay as they are', async () => {
    const dir = join(work, 'run');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'run.yml');
    const port = await freePort(); // nothing listens there: the connection is refused at once
    writeFileSync(
      file,
      [
        'duts:',
        '  - name: nowhere',
        '    host: 127.0.0.1',
        `    port: ${port}`,
        '    password_env: EDGEBENCH_TEST_PASSWORD',
        '    host_key: { insecure_skip_verify: true }',
        '    benchmarks: { sysbench: { modes: [native], instances: [1] } }',
        '',
      ].join('\n'),
    );
    const env = { EDGEBENCH_TEST_PASSWORD: 'x' };
    const logfmt = edgebench(['run', '--config.file', file, '--log.format', 'logfmt'], env);
    expect(logfmt.status).toBe(1);
    const lines = logfmt.stderr.split('\n').filter((l) => l.startsWith('ts='));
    expect(lines.map(parseLogfmt)).toEqual([
      expect.objectContaining({ level: 'error', msg: 'round skipped: DUT unreachable', dut: 'nowhere', reason: 'connection' }),
    ]);
    expect(logfmt.stderr).toMatch(/^\[nowhere\] sysbench mode=native instances=1: FAILED \(connection\)/m);
    const quiet = edgebench(['run', '-c', file, '--log.format', 'json', '--log.level', 'error'], env);
    expect(json(quiet.stderr.split('\n').filter((l) => l.startsWith('{'))).map((l) => [l.level, l.dut])).toEqual([[50, 'nowhere']]);
  });
});

describe('--version', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
  const layout = new RegExp(
    [
      `^edgebench, version ${pkg.version.replaceAll('.', '\\.')} \\(branch: (\\S+), revision: ([0-9a-f]{40}|unknown)\\)`,
      '  build user:       \\S+',
      '  build date:       \\d{8}-\\d\\d:\\d\\d:\\d\\d',
      `  node version:     ${process.version.replaceAll('.', '\\.')}`,
      '  platform:         linux/(amd64|arm64|arm|386|mips|mipsle|mips64|mips64le|ppc64le|riscv64|s390x)',
      '$',
    ].join('\n'),
  );

  beforeAll(() => {
    // what `npm run build` does after tsc (the suite's own build runs tsc alone): this checkout's revision now
    execFileSync(process.execPath, [join(repoRoot, 'scripts/build-info.mjs')]);
  });

  it('prints the build as Prometheus’ binaries do, with this checkout’s revision and branch', () => {
    for (const flag of ['--version', '-V']) {
      const r = edgebench([flag]);
      expect(r.status).toBe(0);
      const m = layout.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      expect(m?.[2]).toBe(git('rev-parse', 'HEAD'));
      expect(m?.[1]).toBe(git('rev-parse', '--abbrev-ref', 'HEAD'));
    }
  });

  it('says unknown for a build that recorded nothing (run from src/, or compiled by tsc alone)', () => {
    expect(versionText()).toMatch(/^edgebench, version \S+ \(branch: unknown, revision: unknown\)\n {2}build user: {7}unknown\n/);
  });

  it('records unknown outside a git checkout, even inside another repository', () => {
    for (const [name, outer] of [
      ['tarball', false],
      ['inside', true],
    ] as const) {
      const top = join(work, name);
      const pkgDir = join(top, 'edgebench-0.1.0');
      mkdirSync(join(pkgDir, 'scripts'), { recursive: true });
      copyFileSync(join(repoRoot, 'scripts/build-info.mjs'), join(pkgDir, 'scripts/build-info.mjs'));
      writeFileSync(join(pkgDir, 'package.json'), '{}\n');
      if (outer) {
        // a repository with a commit of its own, which does not track the unpacked package
        const g = (...args: string[]) => execFileSync('git', ['-C', top, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
        g('init', '-q');
        g('commit', '-q', '--allow-empty', '-m', 'home');
      }
      execFileSync(process.execPath, [join(pkgDir, 'scripts/build-info.mjs')], { cwd: pkgDir });
      const info = JSON.parse(readFileSync(join(pkgDir, 'dist/build-info.json'), 'utf8'));
      expect(info, name).toMatchObject({ revision: 'unknown', branch: 'unknown' });
      expect(info.buildDate).toMatch(/^\d{8}-\d\d:\d\d:\d\d$/);
    }
  });
});

describe('/metrics of serve', () => {
  it('has the process_* and nodejs_* families, fresh at each scrape, and the build on build_info', async () => {
    execFileSync(process.execPath, [join(repoRoot, 'scripts/build-info.mjs')]);
    const build = JSON.parse(readFileSync(join(repoRoot, 'dist/build-info.json'), 'utf8')) as { revision: string; branch: string };
    const port = await freePort();
    const startedAt = Date.now() / 1000;
    await serve(['-c', config(port)], port);
    const text = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const scrape = async () => parseExposition(await text());
    const first = await scrape();
    for (const name of [
      'process_resident_memory_bytes',
      'process_virtual_memory_bytes',
      'process_open_fds',
      'process_max_fds',
      'nodejs_heap_size_total_bytes',
      'nodejs_heap_size_used_bytes',
    ])
      expect(seriesValue(first, name, {}), name).toBeGreaterThan(0);
    // a histogram without samples until the first garbage collection
    expect(await text()).toContain('\n# TYPE nodejs_gc_duration_seconds histogram\n');
    // set after each scrape (it times the next turn of the event loop): 0 at the first one
    expect(seriesValue(first, 'nodejs_eventloop_lag_seconds', {})).toBeGreaterThanOrEqual(0);
    expect(first.filter((s) => s.name === 'nodejs_active_handles').length).toBeGreaterThan(0);
    expect(seriesValue(first, 'process_resident_memory_bytes', {})).toBeGreaterThan(10e6);
    expect(Math.abs((seriesValue(first, 'process_start_time_seconds', {}) ?? 0) - startedAt)).toBeLessThan(10);
    // every scrape costs CPU: a later one (past the 100 ms a rendering is shared for) shows more
    const cpu = (samples: typeof first) => seriesValue(samples, 'process_cpu_seconds_total', {}) ?? 0;
    await new Promise((r) => setTimeout(r, 250));
    expect(cpu(await scrape())).toBeGreaterThan(cpu(first));

    const info = first.filter((s) => s.name === 'edgebench_exporter_build_info');
    expect(info).toHaveLength(1);
    expect(info[0]?.labels).toEqual({
      version: expect.any(String),
      node_version: process.version,
      revision: build.revision,
      branch: build.branch,
    });
    expect(build.revision).toMatch(/^[0-9a-f]{40}$/);

    // gzipped, as Prometheus asks: the same families, which promtool accepts
    const curl = spawnSync('curl', ['-sf', '--compressed', `http://127.0.0.1:${port}/metrics`], { encoding: 'utf8' });
    expect(curl.status).toBe(0);
    expect(curl.stdout).toMatch(/^process_resident_memory_bytes \d+$/m);
    expect(curl.stdout).toMatch(/^edgebench_exporter_build_info\{.*revision="[0-9a-f]{40}".*\} 1$/m);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: curl.stdout, encoding: 'utf8' });
    expect(promtool.stdout + promtool.stderr).toBe('');
    expect(promtool.status).toBe(0);
  });
});
