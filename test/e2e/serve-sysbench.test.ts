// The walking skeleton end to end: build a lab, serve, wait for a round, read /metrics, check it
// with the real promtool, and tear the lab down leaving nothing behind.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseExposition, type Sample } from '../helpers/exposition.js';
import { cli, freePort, labDown, labName, labRoot, labUp, liveProcesses, requireRoot, waitFor } from '../helpers/lab.js';

requireRoot('the end-to-end test');
const name = labName('e');
const dut = `lab-${name}`;
const work = mkdtempSync(join(tmpdir(), 'edgebench-e2e-'));
let serveProc: ChildProcess | undefined;
let metricsText = '';
let samples: Sample[] = [];
let labConfig: Record<string, unknown>;

beforeAll(async () => {
  const configPath = labUp(name);
  labConfig = parse(readFileSync(configPath, 'utf8'));
  const port = await freePort();
  const cfg = structuredClone(labConfig) as {
    listen: string;
    schedule: unknown;
    repetitions: number;
    duts: { benchmarks: { sysbench: Record<string, unknown> } }[];
  };
  cfg.listen = `127.0.0.1:${port}`;
  cfg.schedule = { interval: '1h' };
  cfg.repetitions = 2;
  Object.assign((cfg.duts[0] as (typeof cfg.duts)[0]).benchmarks.sysbench, { instances: [1, 2, 4], events: 500 });
  const file = join(work, 'edgebench.yml');
  writeFileSync(file, stringify(cfg));

  serveProc = spawn(process.execPath, [cli, 'serve', '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  serveProc.stderr?.on('data', (d) => {
    log += d;
  });
  metricsText = await waitFor('the first round in /metrics', 240_000, async () => {
    if (serveProc?.exitCode !== null) throw new Error(`edgebench serve exited: ${log}`);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return text.includes('edgebench_round_last_completion_timestamp_seconds{') ? text : undefined;
  });
  samples = parseExposition(metricsText);
  writeFileSync(join(work, 'metrics.txt'), metricsText);
});

afterAll(() => {
  serveProc?.kill('SIGKILL');
  labDown(name); // idempotent: the last test already tore it down unless something failed before it
});

const find = (metric: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === metric && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

describe(`edgebench serve against lab ${name}`, () => {
  it.each([
    ['native', '1'],
    ['native', '2'],
    ['native', '4'],
    ['lxc', '1'],
    ['lxc', '2'],
    ['lxc', '4'],
  ])('exports the sysbench time for %s with %s instance(s), and its stddev', (mode, instances) => {
    const [mean] = find('edgebench_sysbench_cpu_duration_seconds', { dut, mode, instances });
    const [stddev] = find('edgebench_sysbench_cpu_duration_seconds_stddev', { dut, mode, instances });
    expect(mean?.value).toBeGreaterThan(0);
    expect(mean?.value).toBeLessThan(120);
    expect(stddev?.value).toBeGreaterThanOrEqual(0);
  });

  it('exports the bookkeeping families of a successful round', () => {
    expect(find('edgebench_dut_up', { dut })[0]?.value).toBe(1);
    expect(find('edgebench_dut_info', { dut })[0]?.labels).toMatchObject({
      arch: expect.any(String),
      lxc_version: expect.stringMatching(/^\d/),
    });
    for (const mode of ['native', 'lxc']) {
      const labels = { dut, benchmark: 'sysbench', mode, netdev: '' };
      expect(find('edgebench_benchmark_success', labels)[0]?.value).toBe(1);
      expect(find('edgebench_benchmark_repetitions', labels)[0]?.value).toBe(2);
      expect(find('edgebench_benchmark_duration_seconds', labels)[0]?.value).toBeGreaterThan(0);
      expect(find('edgebench_benchmark_last_success_timestamp_seconds', labels)[0]?.value).toBeGreaterThan(1.7e9);
    }
    expect(find('edgebench_benchmark_runs_total', { dut, benchmark: 'sysbench' })[0]?.value).toBe(6);
    expect(find('edgebench_benchmark_failures_total', { dut, benchmark: 'sysbench' }).every((s) => s.value === 0)).toBe(true);
    expect(find('edgebench_round_duration_seconds', { dut })[0]?.value).toBeGreaterThan(0);
    expect(find('edgebench_exporter_build_info')[0]?.labels.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(find('edgebench_config_last_reload_successful')[0]?.value).toBe(1);
  });

  it('passes promtool check metrics with nothing to report', () => {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: metricsText, encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect({ status: r.status, output: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, output: '' });
  });

  it('stops within seconds on SIGTERM', async () => {
    const proc = serveProc as ChildProcess;
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('tears the lab down, leaving no namespace, link, state or process', () => {
    labDown(name);
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toMatch(new RegExp(`\\beb-${name}\\b`));
    expect(spawnSync('ip', ['link', 'show', `eb-${name}`]).status).not.toBe(0);
    expect(existsSync(join(labRoot, name))).toBe(false);
    expect(liveProcesses((c) => c.includes(`${labRoot}/${name}`))).toEqual([]);
    expect(existsSync('/usr/bin/sysbench')).toBe(true); // the containers bind-mounted /usr: it is still there
  });
});
