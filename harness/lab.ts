// The one-host lab (lab/edgebench-lab): it builds network namespaces, LXC containers and dropbear,
// so whatever uses it runs as root, and says so instead of skipping.
import { execFileSync, spawnSync } from 'node:child_process';
import { readlinkSync, statSync } from 'node:fs';
import { repoRoot } from './repo.js';

export const labScript = `${repoRoot}lab/edgebench-lab`;
/** Where edgebench-lab keeps each lab's state (EDGEBENCH_LAB_ROOT, as the script reads it). */
export const labRoot = process.env.EDGEBENCH_LAB_ROOT ?? '/var/lib/edgebench-lab';

/** Throws unless root: a test needing the lab then fails, where a skip would pass unnoticed. */
export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new Error(`${what} needs root (network namespaces, LXC, dropbear): run it as root`);
  }
}

/** `edgebench-lab up NAME ARGS…`; returns the path of the lab's generated edgebench.yml. */
export function labUp(name: string, ...args: string[]): string {
  return execFileSync(labScript, ['up', name, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** `edgebench-lab down NAME`: synchronous, so it also runs from an exit handler; a second down is harmless. */
export function labDown(name: string): void {
  execFileSync(labScript, ['down', name], { stdio: ['ignore', 'inherit', 'inherit'] });
}

/**
 * The network namespaces of lab NAME's DUT and of its running containers: processes of labs side by
 * side share one process table, so a look at a DUT's processes must look only there.
 */
export function labNamespaces(name: string): Set<string> {
  const namespaces = new Set([`net:[${statSync(`/run/netns/eb-${name}`).ino}]`]);
  const lxc = (...args: string[]) =>
    spawnSync('ip', ['netns', 'exec', `eb-${name}`, ...args, '-P', `${labRoot}/${name}/lxc`], { encoding: 'utf8' }).stdout.trim();
  for (const container of lxc('lxc-ls', '-1').split('\n').filter(Boolean)) {
    const pid = Number(lxc('lxc-info', '-n', container, '-pH'));
    if (pid > 0) namespaces.add(readlinkSync(`/proc/${pid}/ns/net`));
  }
  return namespaces;
}
