// The lab script itself: idempotent, two labs side by side, shaping on and off, the topology
// the paper describes, and a teardown that leaves nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { labDown, labRoot, labScript, labUp, requireRoot } from '../../harness/lab.js';
import { cli } from '../../harness/repo.js';
import { labName, liveProcesses } from '../helpers/lab.js';

requireRoot('the lab test');
const a = labName('a');
const b = labName('b');
const inNs = (lab: string, ...cmd: string[]) => spawnSync('ip', ['netns', 'exec', `eb-${lab}`, ...cmd], { encoding: 'utf8' });
const config = (path: string) => parse(readFileSync(path, 'utf8'));
let configA: ReturnType<typeof config>;

beforeAll(() => {
  configA = config(labUp(a));
});

afterAll(() => {
  labDown(a);
  labDown(b);
});

describe('edgebench-lab', () => {
  it('builds the paper topology: br-lan over eth0, veth and macvlan containers, a pool', () => {
    const links = inNs(a, 'ip', '-o', 'link', 'show').stdout;
    expect(links).toMatch(/eth0@\S+: .*master br-lan/);
    expect(links).toMatch(/veth-veth0@\S+: .*master br-lan/);
    const ls = inNs(a, 'lxc-ls', '-P', `${labRoot}/${a}/lxc`, '-f', '-F', 'NAME,STATE').stdout;
    for (const c of ['veth0', 'macvlan0', 'pool0', 'pool1', 'pool2', 'pool3']) expect(ls).toMatch(new RegExp(`^${c}\\s+RUNNING`, 'm'));
    const macvlanLink = inNs(a, 'lxc-attach', '-P', `${labRoot}/${a}/lxc`, '-n', 'macvlan0', '--', 'ip', '-d', 'link', 'show', 'eth0');
    expect(macvlanLink.stdout).toMatch(/macvlan mode bridge/);
  });

  it('addresses everything from 198.18.0.0/15 and reaches both containers from the TM', () => {
    const dut = configA.duts[0];
    expect(dut.host).toMatch(/^198\.1[89]\./);
    for (const c of [dut.containers.veth, dut.containers.macvlan]) {
      expect(c.address).toMatch(/^198\.1[89]\./);
      const ping = spawnSync('busybox', ['ping', '-c', '1', '-W', '2', c.address], { encoding: 'utf8' });
      expect(ping.status, `${c.name} at ${c.address}: ${ping.stdout}`).toBe(0);
    }
  });

  it('is idempotent: a second up keeps keys, addresses and containers', () => {
    const again = config(labUp(a));
    expect(again).toEqual(configA);
  });

  it('restarts a dropbear that was killed, even when nobody reaped it (a zombie is not running)', () => {
    const pidFile = `${labRoot}/${a}/dropbear.pid`;
    const before = Number(readFileSync(pidFile, 'utf8'));
    process.kill(before, 'SIGKILL');
    spawnSync('sleep', ['0.3']);
    labUp(a);
    const after = Number(readFileSync(pidFile, 'utf8'));
    expect(after).not.toBe(before);
    expect(readFileSync(`/proc/${after}/stat`, 'utf8')).toMatch(/^\d+ \(dropbear\) [RS] /);
  });

  it('shapes both directions of the DUT link on request, and unshapes', () => {
    labUp(a, '--shape', '100mbit');
    expect(spawnSync('tc', ['qdisc', 'show', 'dev', `eb-${a}`], { encoding: 'utf8' }).stdout).toMatch(/tbf .*rate 100Mbit/);
    expect(inNs(a, 'tc', 'qdisc', 'show', 'dev', 'eth0').stdout).toMatch(/tbf .*rate 100Mbit/);
    labUp(a);
    expect(spawnSync('tc', ['qdisc', 'show', 'dev', `eb-${a}`], { encoding: 'utf8' }).stdout).not.toMatch(/tbf/);
  });

  it('runs a second lab beside the first, on its own subnet', () => {
    const generatedB = labUp(b, '--pool', '1');
    const configB = config(generatedB);
    // with one pool container, lxc mode runs one instance: the generated file must be valid as it is
    expect(configB.duts[0].benchmarks.sysbench.instances).toEqual([1]);
    expect(spawnSync('node', [cli, 'check-config', generatedB], { encoding: 'utf8' }).status).toBe(0);
    const [hostA, hostB] = [configA.duts[0].host, configB.duts[0].host];
    expect(hostB.split('.').slice(0, 3)).not.toEqual(hostA.split('.').slice(0, 3));
    expect(configB.duts[0].containers.pool).toEqual(['pool0']);
    for (const cfg of [configA, configB]) {
      const d = cfg.duts[0];
      const ssh = spawnSync(
        'ssh',
        [
          '-i',
          d.identity_file,
          '-o',
          `UserKnownHostsFile=${d.identity_file.replace(/tm-key$/, 'known_hosts')}`,
          '-o',
          'BatchMode=yes',
          `root@${d.host}`,
          'echo $0',
        ],
        { encoding: 'utf8', timeout: 20_000 },
      );
      expect(ssh.stdout.trim(), ssh.stderr).toBe('ash');
    }
  });

  it('rejects a bad name or option with a clear message', () => {
    const r = spawnSync(labScript, ['up', 'Bad;Name'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/lab name 'Bad;Name' is invalid/);
    const s = spawnSync(labScript, ['up', a, '--shape', '100 mbit; reboot'], { encoding: 'utf8' });
    expect(s.stderr).toMatch(/--shape must look like 100mbit/);
    const arch = spawnSync(labScript, ['up', a, '--arch', 'sparc'], { encoding: 'utf8' });
    expect(arch.stderr).toMatch(/--arch must be mipsel or arm64/);
    const cores = spawnSync(labScript, ['up', a, '--arch', 'mipsel', '--cores', '2'], { encoding: 'utf8' });
    expect(cores.stderr).toMatch(/--cores is for --arch arm64: 1-4/);
    // a namespace lab does not turn into an emulated one under the same name
    const other = spawnSync(labScript, ['up', a, '--arch', 'mipsel'], { encoding: 'utf8' });
    expect(other.stderr).toMatch(new RegExp(`lab ${a} is a native lab: take it down first`));
  });

  it('tears a lab down completely without touching the other', () => {
    labDown(b);
    expect(existsSync(`${labRoot}/${b}`)).toBe(false);
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toMatch(new RegExp(`\\beb-${b}\\b`));
    expect(liveProcesses((c) => c.includes(`${labRoot}/${b}`))).toEqual([]);
    expect(inNs(a, 'true').status).toBe(0);
    labDown(b); // a second down is harmless
  });
});
