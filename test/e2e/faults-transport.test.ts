// Transport faults against real labs (dropbear, LXC, network namespaces; nothing mocked), through
// the real CLI: a tool that hangs, a tool missing in a container and containers stopped (`edgebench
// run`); the DUT link going down in the middle of iperf3, dropbear killed in the middle of a
// benchmark while a second DUT is measured, and the DUT's host key changing (`edgebench serve`,
// its /metrics and its JSON log). Every test ends with nothing of edgebench's left on the DUT or
// the TM. The figures observed (detection and recovery times) are printed.
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { labDown, labNamespaces, labRoot, labUp, requireRoot } from '../../harness/lab.js';
import { freePort } from '../../harness/ports.js';
import { cli } from '../../harness/repo.js';
import { labName, liveProcesses, sh, waitFor } from '../helpers/lab.js';
import { alive, dropbears, dutNamespace, killDropbear, markedProcesses, ServeProcess } from '../helpers/serve-process.js';

requireRoot('the transport fault-injection test');
const a = labName('fa');
const b = labName('fb');
const dutA = `lab-${a}`;
const dutB = `lab-${b}`;
const work = mkdtempSync(join(tmpdir(), 'edgebench-faults-transport-'));

type LabDut = Record<string, unknown> & { name: string; host: string; lxc_path: string; host_key: { fingerprint: string } };
let labA: LabDut;
let labB: LabDut;
const serves: ServeProcess[] = [];

const readLab = (configPath: string) => (parse(readFileSync(configPath, 'utf8')) as { duts: LabDut[] }).duts[0] as LabDut;
/** `up` is idempotent and repairs what is missing (dropbear, containers): always with the same pool. */
const repairLabA = () => readLab(labUp(a, '--pool', '1'));

/** A configuration in a directory of its own: the results journal is written next to it. */
function config(name: string, duts: Record<string, unknown>[], port?: number): string {
  const dir = join(work, name);
  mkdirSync(dir);
  const file = join(dir, 'edgebench.yml');
  const listen = port === undefined ? {} : { listen: `127.0.0.1:${port}` };
  writeFileSync(file, stringify({ ...listen, schedule: { interval: '20s' }, repetitions: 1, duts }));
  return file;
}

const dut = (lab: LabDut, benchmarks: Record<string, unknown>) => ({ ...lab, benchmarks });

/** `edgebench run -c FILE`, without blocking the test (which acts on the DUT meanwhile). */
function run(file: string): Promise<{ status: number | null; stdout: string; stderr: string; seconds: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [cli, 'run', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const limit = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) =>
    child.on('close', (status) => {
      clearTimeout(limit);
      resolve({ status, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    }),
  );
}

const lxcState = (container: string) => sh(`ip netns exec eb-${a} lxc-info -P '${labA.lxc_path}' -n ${container} -sH`).stdout.trim();

/** Nothing edgebench started is left in lab NAME's DUT or containers. */
const leftOnDut = (name: string) => markedProcesses(labNamespaces(name));

const figure = (test: string, figures: Record<string, unknown>) => console.log(`[faults] ${test}: ${JSON.stringify(figures)}`);

beforeAll(() => {
  labA = readLab(labUp(a, '--pool', '1'));
  labB = readLab(labUp(b, '--pool', '1'));
});

afterAll(async () => {
  for (const s of serves) await s.stop();
  // a test that failed half-way may have left the link down
  sh(`ip -n eb-${a} link set eth0 up`);
  labDown(a);
  labDown(b);
});

describe(`faults on lab ${a} (and ${b}), through edgebench run`, () => {
  it('a tool that hangs on the DUT: the job times out and the hung process is killed, natively and in a container', async () => {
    // 8000 events take about 2 s here: only a hang makes them outlast the 5 s timeout
    const file = config('hang', [dut(labA, { sysbench: { modes: ['native', 'lxc'], instances: [1], events: 8000, timeout: '5s' } })]);
    const namespaces = labNamespaces(a);
    const stopped = new Map<number, string>();
    let finished = false;
    const running = run(file).finally(() => {
      finished = true;
    });
    // the real sysbench, frozen as soon as it appears: a tool that hangs
    while (!finished) {
      for (const p of liveProcesses((c, p) => c.startsWith('sysbench cpu') && namespaces.has(p.netns))) {
        if (stopped.has(p.pid)) continue;
        process.kill(p.pid, 'SIGSTOP');
        stopped.set(p.pid, p.netns);
      }
      await sleep(20);
    }
    const r = await running;
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`\\[${dutA}\\] sysbench mode=native instances=1: FAILED \\(timeout\\): timed out after 5s`));
    expect(r.stderr).toMatch(new RegExp(`\\[${dutA}\\] sysbench mode=lxc instances=1: FAILED \\(timeout\\): timed out after 5s`));
    // one frozen natively, one in the pool container's own namespace
    expect(stopped.size).toBe(2);
    expect([...stopped.values()].filter((ns) => ns === dutNamespace(a))).toHaveLength(1);
    expect([...stopped.keys()].filter(alive)).toEqual([]);
    expect(leftOnDut(a)).toEqual([]);
    figure('hang', { runSeconds: r.seconds, jobs: r.stderr.match(/FAILED \(timeout\).*\(([\d.]+)s\)/g) });
  }, 60_000);

  it('a tool missing in a container, and containers stopped: a clear error naming DUT, context and tool; native jobs of the round succeed', async () => {
    // a sysbench only the DUT's own userland has: /tmp is the host's there, a tmpfs of its own in the container
    const bin = mkdtempSync(join(tmpdir(), 'edgebench-faults-transport-bin-'));
    const ownSysbench = join(bin, 'sysbench');
    writeFileSync(ownSysbench, '#!/bin/sh\nexec sysbench "$@"\n');
    chmodSync(ownSysbench, 0o755);
    try {
      const missing = await run(
        config('missing', [dut(labA, { sysbench: { modes: ['native', 'lxc'], instances: [1], events: 200, path: ownSysbench } })]),
      );
      expect(missing.status, missing.stderr).toBe(1);
      expect(missing.stderr).toMatch(new RegExp(`\\[${dutA}\\] sysbench mode=native instances=1: ok`));
      expect(missing.stderr).toMatch(
        new RegExp(
          `\\[${dutA}\\] sysbench mode=lxc instances=1: FAILED \\(tool_missing\\): ${ownSysbench} not found on DUT ${dutA} \\(lxc container pool0\\): .*Failed to exec`,
        ),
      );
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }

    for (const container of ['pool0', 'veth0']) {
      sh(`ip netns exec eb-${a} lxc-stop -P '${labA.lxc_path}' -n ${container} -k`);
      expect(lxcState(container)).toBe('STOPPED');
    }
    const stoppedRun = await run(
      config('stopped', [
        dut(labA, {
          sysbench: { modes: ['native', 'lxc'], instances: [1], events: 200 },
          netperf: { netdevs: ['host', 'veth'], protocols: ['tcp'], duration: '1s' },
        }),
      ]),
    );
    expect(stoppedRun.status, stoppedRun.stderr).toBe(1);
    const line = (labels: string) => stoppedRun.stderr.split('\n').find((l) => l.startsWith(`[${dutA}] ${labels}:`));
    expect(line('sysbench mode=native instances=1')).toMatch(/: ok/);
    expect(line('netperf mode=native netdev=host protocol=tcp')).toMatch(/: ok/);
    expect(line('sysbench mode=lxc instances=1')).toMatch(
      new RegExp(
        `FAILED \\(exit_status\\): sysbench could not start on DUT ${dutA} \\(lxc container pool0\\): container pool0 is not running \\(State: STOPPED\\)`,
      ),
    );
    expect(line('netperf mode=lxc netdev=veth protocol=tcp')).toMatch(
      new RegExp(
        `FAILED \\(exit_status\\): netserver could not start on DUT ${dutA} \\(lxc container veth0\\): container veth0 is not running \\(State: STOPPED\\)`,
      ),
    );
    expect(leftOnDut(a)).toEqual([]);

    // `up` starts them again
    repairLabA();
    expect([lxcState('pool0'), lxcState('veth0')]).toEqual(['RUNNING', 'RUNNING']);
    figure('container', { stoppedRunSeconds: stoppedRun.seconds, lxcJobs: stoppedRun.stderr.match(/mode=lxc.*/g) });
  }, 90_000);
});

describe(`faults on lab ${a} (and ${b}), through edgebench serve`, () => {
  it('the DUT link goes down in the middle of iperf3: timeout, TM clients killed, DUT servers killed once the link is back, the next round succeeds', async () => {
    const port = await freePort();
    const iperf3 = { netdevs: ['host'], directions: ['receive'], instances: [2], duration: '3s', timeout: '8s' };
    const serve = ServeProcess.start(config('link', [dut(labA, { iperf3 })], port), port);
    serves.push(serve);
    const namespaces = labNamespaces(a);
    const servers = () => liveProcesses((c, p) => /^iperf3 -s/.test(c) && namespaces.has(p.netns));
    const clients = () => serve.children().filter((p) => /^iperf3 -c/.test(p.cmdline));
    await waitFor('two iperf3 clients on the TM and two servers on the DUT', 30_000, async () =>
      clients().length === 2 && servers().length === 2 ? true : undefined,
    );
    const serverPids = servers().map((p) => p.pid);
    // the shells that started and drive them
    const shellPids = servers().map((p) => p.ppid);
    const clientPids = clients().map((p) => p.pid);

    // the DUT's side of the link: SSH and the benchmark traffic both cross it
    sh(`ip -n eb-${a} link set eth0 down`);
    const downAt = Date.now();
    const failed = await serve.waitLog('the iperf3 job to fail', 60_000, (l) => l.msg === 'job failed' && l.dut === dutA);
    expect(failed).toMatchObject({
      benchmark: 'iperf3',
      reason: 'timeout',
      err: expect.stringMatching(/^iperf3 timed out after 8s on the test machine/),
    });
    // TM side: the clients' process groups are gone
    expect(clientPids.filter(alive)).toEqual([]);
    expect(clients()).toEqual([]);
    // DUT side: the kill cannot get there, so it waits; the servers still run
    expect(serve.lines.filter((l) => l.dut === dutA && /could not be killed yet/.test(l.msg)).length).toBeGreaterThanOrEqual(1);
    expect(serverPids.filter(alive)).toHaveLength(2);

    sh(`ip -n eb-${a} link set eth0 up`);
    const upAt = Date.now();
    await waitFor('the DUT-side servers to be killed', 40_000, async () => (serverPids.some(alive) ? undefined : true));
    const killedAfterMs = Date.now() - upAt;
    const delivered = await serve.waitLog(
      'the delayed kill in the log',
      5_000,
      (l) => l.msg === 'delivered kills that were waiting for the DUT',
    );
    // the word `kill` to each server's shell and the kill by marker both wait in the connection; the
    // shell kills its server as soon as the word gets through, so the marker may find none left
    expect(delivered).toMatchObject({ dut: dutA, killed: expect.any(Number) });
    // nothing of the failed job is left (the next round may have started servers of its own)
    expect([...serverPids, ...shellPids].filter(alive)).toEqual([]);

    // the next round, on the connection that survived the outage
    const from = serve.lines.length;
    const round = await serve.waitLog('the next round', 60_000, (l) => l.msg === 'round complete' && l.dut === dutA, from);
    expect(round.failed, serve.log).toBe(0);
    expect(serve.lines.filter((l) => l.msg === 'connected' && l.dut === dutA)).toHaveLength(1);
    const labels = { dut: dutA, benchmark: 'iperf3', mode: 'native', netdev: 'host' };
    expect(await serve.value('edgebench_benchmark_success', labels)).toBe(1);
    expect(await serve.value('edgebench_dut_up', { dut: dutA })).toBe(1);
    expect(await serve.value('edgebench_benchmark_failures_total', { dut: dutA, benchmark: 'iperf3', reason: 'timeout' })).toBe(1);
    expect(servers()).toEqual([]);
    expect(clients()).toEqual([]);
    expect(leftOnDut(a)).toEqual([]);
    await serve.stop(join(work, 'link.log'));
    figure('link down', {
      jobFailedAfterLinkDownMs: failed.time - downAt,
      serversKilledAfterLinkUpMs: killedAfterMs,
      deliveredKill: { killed: delivered.killed, ms: delivered.ms },
      nextRoundAfterLinkUpMs: round.time - upAt,
    });
  }, 150_000);

  let both: ServeProcess | undefined;

  it('dropbear killed in the middle of a benchmark: that job fails with `connection`, the other DUT goes on, edgebench reconnects when the DUT is back and the next round succeeds', async () => {
    const port = await freePort();
    // about 3 s of work each; both DUTs are measured at the same time
    const sysbench = { modes: ['native'], instances: [1], events: 12000, timeout: '1m' };
    both = ServeProcess.start(config('dropbear', [dut(labA, { sysbench }), dut(labB, { sysbench })], port), port);
    serves.push(both);
    const serve = both;
    const nsA = dutNamespace(a);
    await waitFor('sysbench running on DUT A', 30_000, async () =>
      liveProcesses((c, p) => c.startsWith('sysbench cpu') && p.netns === nsA).length > 0 ? true : undefined,
    );
    const killedAt = Date.now();
    expect(await killDropbear(a)).toBeGreaterThanOrEqual(2); // the listener and the session

    const failed = await serve.waitLog('the job on A to fail', 30_000, (l) => l.msg === 'job failed' && l.dut === dutA);
    expect(failed).toMatchObject({
      benchmark: 'sysbench',
      reason: 'connection',
      err: expect.stringMatching(/^connection to .* lost during the command/),
    });
    expect(await serve.value('edgebench_dut_up', { dut: dutA })).toBe(0);
    expect(await serve.value('edgebench_benchmark_failures_total', { dut: dutA, benchmark: 'sysbench', reason: 'connection' })).toBe(1);

    // B, measured at the same time, is untouched: its job ends after A's failed
    const bDone = await serve.waitLog('the job on B', 30_000, (l) => l.msg === 'job done' && l.dut === dutB);
    expect(bDone.time).toBeGreaterThan(failed.time);
    expect(await serve.value('edgebench_dut_up', { dut: dutB })).toBe(1);

    // dropbear back, as the lab starts it
    expect(dropbears(a)).toEqual([]);
    repairLabA();
    const backAt = Date.now();
    expect(dropbears(a)).toHaveLength(1);
    const from = serve.lines.length;
    const round = await serve.waitLog('the next round on A', 60_000, (l) => l.msg === 'round complete' && l.dut === dutA, from);
    expect(round.failed, serve.log).toBe(0);
    expect(serve.lines.filter((l) => l.msg === 'connected' && l.dut === dutA)).toHaveLength(2);
    // the kill remembered when the connection broke went first on the new one
    expect(serve.lines.slice(from).find((l) => l.msg === 'delivered kills that were waiting for the DUT' && l.dut === dutA)).toBeDefined();
    expect(await serve.value('edgebench_dut_up', { dut: dutA })).toBe(1);
    expect(await serve.value('edgebench_benchmark_success', { dut: dutA, benchmark: 'sysbench', mode: 'native', netdev: '' })).toBe(1);

    // B goes on rounding while A is down and back: a second round of its own, however loaded the machine
    const bRounds = await waitFor('a second round on B', 60_000, async () => {
      const rounds = serve.lines.filter((l) => l.msg === 'round complete' && l.dut === dutB);
      return rounds.length >= 2 ? rounds : undefined;
    });
    expect(bRounds.map((r) => r.failed)).toEqual(bRounds.map(() => 0));
    const bFailures = (await serve.metrics()).filter((s) => s.name === 'edgebench_benchmark_failures_total' && s.labels.dut === dutB);
    expect(bFailures.map((s) => s.value)).toEqual(bFailures.map(() => 0));
    expect(leftOnDut(a)).toEqual([]);
    expect(serve.children()).toEqual([]);
    figure('dropbear killed', {
      jobFailedAfterKillMs: failed.time - killedAt,
      nextRoundAfterDropbearBackMs: round.time - backAt,
      bJobDoneAfterAFailedMs: bDone.time - failed.time,
    });
  }, 150_000);

  it("the DUT's host key changes: refused, edgebench_dut_up 0, the log names the expected and the seen fingerprint", async () => {
    const serve = both as ServeProcess;
    expect(serve, 'the serve of the previous test').toBeDefined();
    const stateDir = join(labRoot, a);
    const expected = labA.host_key.fingerprint;
    const original = join(work, 'dut-hostkey.orig');
    copyFileSync(join(stateDir, 'dut-hostkey'), original);
    // a DUT reflashed: new host key, dropbear restarted (the open connection dies with it)
    rmSync(join(stateDir, 'dut-hostkey'));
    await killDropbear(a);
    const seen = repairLabA().host_key.fingerprint;
    const changedAt = Date.now();
    expect(seen).not.toBe(expected);

    const from = serve.lines.length;
    const skipped = await serve.waitLog(
      'a round on A refused',
      60_000,
      (l) => l.msg === 'round skipped: DUT unreachable' && l.dut === dutA,
      from,
    );
    expect(skipped.reason).toBe('connection');
    expect(skipped.err).toContain(`host key mismatch for ${labA.host}:22: expected ${expected}, seen ${seen}; refusing to connect`);
    expect(await serve.value('edgebench_dut_up', { dut: dutA })).toBe(0);
    expect(await serve.value('edgebench_dut_up', { dut: dutB })).toBe(1);
    expect(serve.lines.slice(from).filter((l) => l.msg === 'connected' && l.dut === dutA)).toEqual([]);
    figure('host key', { refusedAfterChangeMs: skipped.time - changedAt });
    await serve.stop(join(work, 'dropbear.log'));

    // the lab's own key back
    await killDropbear(a);
    copyFileSync(original, join(stateDir, 'dut-hostkey'));
    expect(repairLabA().host_key.fingerprint).toBe(expected);
  }, 120_000);
});
