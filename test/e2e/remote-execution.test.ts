// The SSH transport against a real dropbear DUT whose shell is busybox ash: host key pinning,
// timeouts that kill the remote process tree natively and inside containers, the `run` command.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { labDown, labUp, requireRoot } from '../../harness/lab.js';
import { cli } from '../../harness/repo.js';
import { loadConfig } from '../../src/config-file/load.js';
import type { DutConfig } from '../../src/config-file/schema.js';
import { sshTarget } from '../../src/engine/ssh-target.js';
import { commandIn, lxc } from '../../src/remote/exec-context.js';
import { SshConnection } from '../../src/remote/ssh-connection.js';
import { labName, liveProcesses, waitFor } from '../helpers/lab.js';

requireRoot('the remote execution test');
const name = labName('r');
const work = mkdtempSync(join(tmpdir(), 'edgebench-remote-'));
const log = pino({ level: 'silent' });
let configPath = '';
let dut: DutConfig;
let conn: SshConnection;

function writeVariant(file: string, change: (cfg: { duts: Record<string, unknown>[] } & Record<string, unknown>) => void): string {
  const cfg = parse(readFileSync(configPath, 'utf8'));
  change(cfg);
  const path = join(work, file);
  writeFileSync(path, stringify(cfg));
  return path;
}

beforeAll(() => {
  configPath = labUp(name, '--pool', '2');
  configPath = writeVariant('lab.yml', (cfg) => {
    cfg.repetitions = 1;
    // sysbench only: this file is about the transport, serve-round.test.ts runs every benchmark
    const lab = cfg.duts[0] as { benchmarks: { sysbench: object } };
    lab.benchmarks = { sysbench: { ...lab.benchmarks.sysbench, instances: [1, 2], events: 200 } };
  });
  dut = loadConfig(configPath).duts[0] as DutConfig;
  conn = new SshConnection(sshTarget(dut), log);
});

afterAll(() => {
  conn?.close();
  labDown(name);
});

describe(`ssh transport against lab ${name}`, () => {
  it('runs commands under busybox ash, as on OpenWrt', async () => {
    const script = '[ /proc/$$/exe -ef /bin/busybox ] && echo busybox; echo "$EDGEBENCH_JOB" | wc -c; exit 3';
    const r = await conn.exec(script, { timeoutMs: 10_000 });
    expect(r.stdout.split('\n')[0]).toBe('busybox');
    expect(r.stdout.split('\n')[1]?.trim()).toBe('17'); // the 16-hex-digit job marker and a newline
    expect(r.exitCode).toBe(3);
  });

  it('kills the remote process tree on timeout, natively', async () => {
    await expect(conn.exec('sleep 7301 & sleep 7302; echo never', { timeoutMs: 1500 })).rejects.toMatchObject({ reason: 'timeout' });
    expect(liveProcesses((c) => /sleep 730[12]/.test(c))).toEqual([]);
  });

  it('kills the process inside the container on timeout, not just lxc-attach', async () => {
    const inContainer = commandIn(lxc(dut.lxc_path, 'veth0'), ['sleep', '7303']);
    await expect(conn.exec(inContainer, { timeoutMs: 1500 })).rejects.toMatchObject({ reason: 'timeout' });
    expect(liveProcesses((c) => c.includes('sleep 7303'))).toEqual([]);
  });

  it('kills the remote process when the caller cancels', async () => {
    const abort = new AbortController();
    const running = conn.exec('sleep 7304', { timeoutMs: 60_000, signal: abort.signal });
    await waitFor('the remote sleep to start', 10_000, async () =>
      liveProcesses((c) => c.includes('sleep 7304')).length > 0 ? true : undefined,
    );
    abort.abort();
    await expect(running).rejects.toMatchObject({ reason: 'cancelled' });
    expect(liveProcesses((c) => c.includes('sleep 7304'))).toEqual([]);
  });

  it('refuses a host key that differs from the pin, naming expected and seen fingerprints', async () => {
    const wrong = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const other = new SshConnection({ ...sshTarget(dut), hostKey: { accepted: [wrong], source: 'test' } }, log);
    const seen = (dut.host_key as { fingerprint: string }).fingerprint;
    await expect(other.exec('true', { timeoutMs: 5000 })).rejects.toMatchObject({
      reason: 'connection',
      message: expect.stringMatching(new RegExp(`host key mismatch .*expected ${wrong}, seen ${seen.replace(/[+/]/g, '\\$&')}`)),
    });
    expect(other.connected).toBe(false);
  });

  it('accepts the host key from a known_hosts file', async () => {
    const known = join(work, 'known_hosts');
    const pub = readFileSync(String(dut.identity_file).replace(/tm-key$/, 'dut-hostkey.pub'), 'utf8').trim();
    writeFileSync(known, `# pinned\nother.example ${pub}\n${dut.host} ${pub}\n`);
    const path = writeVariant('known-hosts.yml', (cfg) => {
      (cfg.duts[0] as Record<string, unknown>).host_key = { known_hosts: known };
    });
    const viaKnownHosts = new SshConnection(sshTarget(loadConfig(path).duts[0] as DutConfig), log);
    expect((await viaKnownHosts.exec('echo ok', { timeoutMs: 5000 })).stdout).toBe('ok\n');
    viaKnownHosts.close();
  });
});

describe('edgebench run', () => {
  it('runs one round, prints native vs lxc with the change, exits 0', () => {
    const r = spawnSync(process.execPath, [cli, 'run', '-c', configPath], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => l.includes('sysbench'));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatch(/instances=\d\s+[\d.]+ s\s+[\d.]+ s\s+-?\d+\.\d%/);
    expect(r.stderr).toMatch(/\[lab-\w+\] sysbench mode=lxc instances=2: ok/);
  });

  it('exits 1 and names the DUT, context and tool when the tool is missing', () => {
    const path = writeVariant('missing.yml', (cfg) => {
      Object.assign((cfg.duts[0] as { benchmarks: { sysbench: object } }).benchmarks.sysbench, {
        path: 'no-such-sysbench',
        instances: [1],
      });
    });
    const r = spawnSync(process.execPath, [cli, 'run', '-c', path], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `failed: lab-${name} sysbench .*"mode":"native".*tool_missing: no-such-sysbench not found on DUT lab-${name} \\(native\\)`,
      ),
    );
    expect(r.stderr).toMatch(/tool_missing: no-such-sysbench not found on DUT lab-\w+ \(lxc container pool0\)/);
  });

  it('exits 1 with a connection failure when the DUT is unreachable, without hanging', () => {
    const path = writeVariant('down.yml', (cfg) => {
      Object.assign(cfg.duts[0] as object, { port: 2, connect_timeout: '3s' });
    });
    const r = spawnSync(process.execPath, [cli, 'run', '-c', path], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/connection: cannot connect to root@198\.18\.\d+\.2:2/);
  });
});
