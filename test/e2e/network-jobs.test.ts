// The scheduling rules of network jobs, against a real lab: jobs crossing one TM link never
// overlap (even for two DUTs), DUT-side servers are stopped when the client fails or times out,
// and `edgebench run --benchmark` runs only what it names.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { labDown, labNamespaces, labUp, requireRoot } from '../../harness/lab.js';
import { cli } from '../../harness/repo.js';
import { parseConfig } from '../../src/config-file/load.js';
import type { DutConfig } from '../../src/config-file/schema.js';
import type { JobOutcome } from '../../src/engine/job-runner.js';
import { ResultsStore } from '../../src/engine/results.js';
import { runRound } from '../../src/engine/round.js';
import { sshTarget } from '../../src/engine/ssh-target.js';
import { routeDevice, TrafficLinks } from '../../src/engine/traffic-links.js';
import { SshConnection } from '../../src/remote/ssh-connection.js';
import { labName, liveProcesses } from '../helpers/lab.js';

requireRoot('the network jobs test');
const name = labName('n');
const work = mkdtempSync(join(tmpdir(), 'edgebench-net-'));
const log = pino({ level: 'silent' });
let labConfig: { duts: Record<string, unknown>[] } & Record<string, unknown>;

/** Servers left in this lab's DUT or containers (other tests' labs run servers at the same time). */
const servers = () => {
  const namespaces = labNamespaces(name);
  return liveProcesses((c, p) => /^(nuttcp -S|netserver|iperf3 -s)/.test(c) && namespaces.has(p.netns));
};

/** The lab's config with these benchmarks only, as a parsed config. */
function configWith(benchmarks: Record<string, unknown>, duts = 1) {
  const cfg = structuredClone(labConfig);
  const dut = cfg.duts[0] as Record<string, unknown>;
  cfg.repetitions = 1;
  cfg.duts = Array.from({ length: duts }, (_, i) => ({ ...dut, name: `${dut.name}-${i}`, benchmarks }));
  return parseConfig(stringify(cfg), 'test');
}

async function round(dut: DutConfig, links: TrafficLinks): Promise<JobOutcome[]> {
  const conn = new SshConnection(sshTarget(dut), log);
  try {
    const cfg = { repetitions: { min: 1, max: 1, max_rsd_percent: 0, warmup: false } };
    return await runRound(dut, conn, new ResultsStore().dut(dut.name), { ...cfg, signal: new AbortController().signal, log, links });
  } finally {
    conn.close();
  }
}

beforeAll(() => {
  labConfig = parse(readFileSync(labUp(name), 'utf8'));
});

afterAll(() => labDown(name));

describe(`network jobs in lab ${name}`, () => {
  it("finds the lab's TM link in the routing table", async () => {
    expect(await routeDevice(String(labConfig.duts[0]?.host))).toBe(`eb-${name}`);
  });

  it('never overlaps jobs crossing the same TM link, even for two DUTs', async () => {
    // two DUT entries for the one lab DUT: their servers use the same ports, so an overlap would also fail a job
    const cfg = configWith({ nuttcp: { netdevs: ['host', 'veth'], directions: ['receive'], duration: '2s' } }, 2);
    const links = new TrafficLinks();
    const outcomes = (await Promise.all(cfg.duts.map((d) => round(d, links)))).flat();
    expect(outcomes.map((o) => o.error?.message)).toEqual([undefined, undefined, undefined, undefined]);
    const spans = outcomes.map((o) => [o.startedAt, o.endedAt] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]?.[0]).toBeGreaterThanOrEqual(spans[i - 1]?.[1] as number);
    expect(servers()).toEqual([]);
  });

  it('stops the DUT-side server when the TM-side client is missing', async () => {
    const cfg = configWith({ nuttcp: { netdevs: ['veth'], directions: ['transmit'], duration: '1s', client_path: 'no-such-nuttcp' } });
    const [outcome] = await round(cfg.duts[0] as DutConfig, new TrafficLinks());
    expect(outcome?.error).toMatchObject({
      reason: 'tool_missing',
      message: expect.stringContaining('no-such-nuttcp not found on the test machine'),
    });
    expect(servers()).toEqual([]);
  });

  it('stops the DUT-side servers and kills the client when the client times out', async () => {
    const hang = join(work, 'hanging-client');
    // a duration no other test uses, so that the process table check sees only this client
    writeFileSync(hang, '#!/bin/sh\nexec sleep 3017\n');
    chmodSync(hang, 0o755);
    const cfg = configWith({
      iperf3: { netdevs: ['macvlan'], directions: ['receive'], instances: [2], duration: '1s', timeout: '6s', client_path: hang },
    });
    const [outcome] = await round(cfg.duts[0] as DutConfig, new TrafficLinks());
    expect(outcome?.error?.reason).toBe('timeout');
    expect(servers()).toEqual([]);
    expect(liveProcesses((c) => c === 'sleep 3017')).toEqual([]);
  });

  it('fails with tool_missing naming DUT, context and tool when the server is missing in a container, and the round goes on', async () => {
    const cfg = configWith({ netperf: { netdevs: ['veth', 'host'], protocols: ['tcp'], duration: '1s', path: 'no-such-netserver' } });
    const outcomes = await round(cfg.duts[0] as DutConfig, new TrafficLinks());
    expect(outcomes.map((o) => o.error?.reason)).toEqual(['tool_missing', 'tool_missing']);
    expect(outcomes[0]?.error?.message).toMatch(new RegExp(`^no-such-netserver not found on DUT lab-${name}-0 \\(lxc container veth0\\)`));
    expect(outcomes[1]?.error?.message).toMatch(new RegExp(`^no-such-netserver not found on DUT lab-${name}-0 \\(native\\)`));
  });

  it('edgebench run --benchmark runs only the benchmarks it names', () => {
    const cfg = structuredClone(labConfig);
    cfg.repetitions = 1;
    Object.assign((cfg.duts[0] as { benchmarks: object }).benchmarks, {
      netperf: { netdevs: ['host'], protocols: ['udp'], duration: '1s' },
    });
    const file = join(work, 'run.yml');
    writeFileSync(file, stringify(cfg));
    const r = spawnSync(process.execPath, [cli, 'run', '-c', file, '--benchmark', 'netperf'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toMatch(/netperf mode=native netdev=host protocol=udp: ok/);
    expect(r.stderr).not.toMatch(/sysbench|nuttcp|iperf3|linpack|stream/);
    expect(r.stdout).toMatch(new RegExp(`lab-${name} +netperf +netperf_rtt_seconds netdev=host protocol=udp +\\d`));
    expect(r.status).toBe(0);
  });

  it('edgebench run --benchmark rejects a benchmark that does not exist', () => {
    const r = spawnSync(process.execPath, [cli, 'run', '-c', join(work, 'run.yml'), '--benchmark', 'netperf', 'nosuch'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown benchmark "nosuch": one of sysbench, .*netperf/);
  });
});
