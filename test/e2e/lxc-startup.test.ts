// lxc_startup against the lab's own container (startup0, which lab/edgebench-lab makes and leaves
// stopped): a round starts and stops it for real and exports its times and memory; a container a
// cancelled round left running is stopped first, and the container is stopped after every round.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { labDown, labRoot, labUp, requireRoot } from '../../harness/lab.js';
import { parseConfig } from '../../src/config-file/load.js';
import type { DutConfig } from '../../src/config-file/schema.js';
import type { JobOutcome } from '../../src/engine/job-runner.js';
import { ResultsStore } from '../../src/engine/results.js';
import { runRound } from '../../src/engine/round.js';
import { sshTarget } from '../../src/engine/ssh-target.js';
import { SshConnection } from '../../src/remote/ssh-connection.js';
import { labName } from '../helpers/lab.js';

requireRoot('the lxc_startup test');
const name = labName('x');
const lxcPath = `${labRoot}/${name}/lxc`;
const log = pino({ level: 'silent' });
let dut: DutConfig;

const inLab = (...argv: string[]) => spawnSync('ip', ['netns', 'exec', `eb-${name}`, ...argv, '-P', lxcPath], { encoding: 'utf8' });
const state = () => inLab('lxc-info', '-n', 'startup0', '-sH').stdout.trim();

async function round(): Promise<JobOutcome> {
  const conn = new SshConnection(sshTarget(dut), log);
  try {
    const repetitions = { min: 2, max: 2, max_rsd_percent: 0, warmup: false };
    const [outcome] = await runRound(dut, conn, new ResultsStore().dut(dut.name), {
      repetitions,
      signal: new AbortController().signal,
      log,
    });
    if (!outcome) throw new Error('the round planned no job');
    return outcome;
  } finally {
    conn.close();
  }
}

beforeAll(() => {
  const cfg = parse(readFileSync(labUp(name, '--pool', '1'), 'utf8'));
  // the lab's configuration names the container: run that benchmark alone
  cfg.duts[0].benchmarks = { lxc_startup: { ...cfg.duts[0].benchmarks.lxc_startup, settle: '1s' } };
  dut = parseConfig(stringify(cfg), 'lab').duts[0] as DutConfig;
}, 120_000);

afterAll(() => labDown(name));

describe(`lxc_startup in lab ${name}`, () => {
  it('finds the container the lab made for it, stopped', () => {
    expect(dut.benchmarks.lxc_startup?.container).toBe('startup0');
    expect(state()).toBe('STOPPED');
  });

  it('starts and stops it, and exports start and stop times, its cgroup memory and MemAvailable in base units', async () => {
    const outcome = await round();
    expect(outcome.error).toBeUndefined();
    expect(outcome.repetitions).toBe(2);
    const mean = (family: string, labels: Record<string, string> = {}) =>
      outcome.series.find((s) => s.family === family && JSON.stringify(s.labels) === JSON.stringify(labels))?.stats.mean;
    // a start takes some milliseconds here; the busybox init of the lab's containers ends about
    // 2 s after lxc-stop's signal (it waits between its TERM and KILL)
    expect(mean('edgebench_lxc_start_duration_seconds')).toBeGreaterThan(0.001);
    expect(mean('edgebench_lxc_start_duration_seconds')).toBeLessThan(60);
    expect(mean('edgebench_lxc_stop_duration_seconds')).toBeGreaterThan(0.001);
    // the lab mounts the memory controller where the DUT's LXC looks for it (lab/edgebench-lab)
    const cgroup = mean('edgebench_lxc_cgroup_memory_bytes');
    expect(cgroup, 'no memory cgroup: did edgebench-lab up print "no memory cgroup"?').toBeGreaterThan(4096);
    expect(cgroup).toBeLessThan(1 << 30);
    expect(mean('edgebench_lxc_memavailable_bytes', { state: 'stopped' })).toBeGreaterThan(1 << 20);
    expect(mean('edgebench_lxc_memavailable_bytes', { state: 'running' })).toBeGreaterThan(1 << 20);
    expect(outcome.notes ?? []).toEqual([]);
    expect(state()).toBe('STOPPED');
  }, 120_000);

  it('stops a container a cancelled round left running before it measures, and says so', async () => {
    expect(inLab('lxc-start', '-n', 'startup0').status).toBe(0);
    expect(state()).toBe('RUNNING');
    const outcome = await round();
    expect(outcome.error).toBeUndefined();
    expect(outcome.notes).toContain('container startup0 was RUNNING, left by an interrupted round: stopped it first');
    expect(state()).toBe('STOPPED');
  }, 120_000);
});
