// The one-host lab for the benchmarks: up and down (always, also on Ctrl-C) through harness/lab.ts,
// edgebench configurations derived from the lab's own, OpenSSH to the DUT, where a container lives.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { labDown, labUp } from '../../harness/lab.js';
import { mustRun, type Ran, run } from './exec.js';

export interface Lab {
  name: string;
  /** The DUT's entry of the generated edgebench.yml, as written there. */
  dut: Record<string, unknown> & { name: string; host: string; identity_file: string; lxc_path: string };
  dir: string;
  netns: string;
  /** A scratch directory for configurations and wrappers, removed with the lab. */
  work: string;
}

/** A lab brought up with labUp: its generated configuration read, and a scratch directory. */
function openLab(name: string, config: string): Lab {
  const doc = parse(readFileSync(config, 'utf8')) as { duts: Lab['dut'][] };
  const dut = doc.duts[0] as Lab['dut'];
  return { name, dut, dir: dirname(config), netns: `eb-${name}`, work: mkdtempSync(join(tmpdir(), `edgebench-bench-${name}-`)) };
}

/** Runs fn against a fresh lab and always takes it down: on return, throw, crash, SIGINT or SIGTERM. */
export async function withLab<T>(name: string, args: readonly string[], fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = openLab(name, labUp(name, ...args));
  let up = true;
  const down = () => {
    if (!up) return;
    up = false;
    rmSync(lab.work, { recursive: true, force: true });
    labDown(name);
  };
  const onSignal = (sig: NodeJS.Signals) => {
    console.error(`${sig}: taking lab ${name} down`);
    down();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', down); // labDown is synchronous: it also runs on an uncaught exception
  try {
    return await fn(lab);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', down);
    down();
  }
}

export interface ConfigOptions {
  benchmarks: Record<string, unknown>;
  repetitions?: unknown;
  listen?: string;
  schedule?: Record<string, string>;
  /** Override DUT keys (name, port, …). */
  dut?: Record<string, unknown>;
  journal?: { path: string };
}

/** Writes an edgebench configuration for the lab's DUT with only the given benchmarks. */
export function writeConfig(lab: Lab, file: string, o: ConfigOptions): string {
  const path = join(lab.work, file);
  mkdirSync(dirname(path), { recursive: true });
  const doc = {
    listen: o.listen ?? '127.0.0.1:0',
    schedule: o.schedule ?? { interval: '1h' },
    repetitions: o.repetitions ?? 1,
    ...(o.journal && { journal: o.journal }),
    duts: [{ ...lab.dut, ...o.dut, benchmarks: o.benchmarks }],
  };
  writeFileSync(path, stringify(doc, { aliasDuplicateObjects: false }));
  return path;
}

/** OpenSSH to the DUT with the lab's key and pinned host key: what a shell script would do. */
export function sshArgv(lab: Lab, command: string): string[] {
  return [
    'ssh',
    '-i',
    lab.dut.identity_file,
    '-o',
    `UserKnownHostsFile=${lab.dir}/known_hosts`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'LogLevel=ERROR',
    `root@${lab.dut.host}`,
    command,
  ];
}

export const ssh = (lab: Lab, command: string): Promise<Ran> => run(sshArgv(lab, command));

export function container(lab: Lab, netdev: 'veth' | 'macvlan'): { name: string; address: string } {
  return (lab.dut.containers as Record<string, { name: string; address: string }>)[netdev] as { name: string; address: string };
}

/** The network namespace path of the DUT (host) or of a container, for nsenter. */
export async function netnsPath(lab: Lab, where: string): Promise<string> {
  if (where === 'host') return `/run/netns/${lab.netns}`;
  const r = await mustRun(['ip', 'netns', 'exec', lab.netns, 'lxc-info', '-P', lab.dut.lxc_path, '-n', where, '-pH']);
  return `/proc/${r.stdout.trim()}/ns/net`;
}

/** True once something listens on TCP `port` in that namespace. */
export async function listening(nsPath: string, port: number): Promise<boolean> {
  const r = await run(['nsenter', `--net=${nsPath}`, 'ss', '-Hltn', `sport = :${port}`]);
  return r.stdout.trim() !== '';
}
