// Helpers for tests against the one-host lab: they need root, and say so instead of skipping.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const labScript = `${repoRoot}lab/edgebench-lab`;
export const cli = `${repoRoot}dist/cli.js`;
export const labRoot = process.env.EDGEBENCH_LAB_ROOT ?? '/var/lib/edgebench-lab';

export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new Error(`${what} needs root (network namespaces, LXC, dropbear): run the test suite as root, as CI does`);
  }
}

/** A lab name unique to this test process: [a-z][a-z0-9]{0,7}. */
export function labName(prefix: string): string {
  return `${prefix}${process.pid.toString(36)}`.slice(0, 8);
}

export function labUp(name: string, ...args: string[]): string {
  return execFileSync(labScript, ['up', name, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

export function labDown(name: string): void {
  execFileSync(labScript, ['down', name], { stdio: ['ignore', 'inherit', 'inherit'] });
}

export function sh(command: string): { stdout: string; status: number | null } {
  const r = spawnSync('sh', ['-c', command], { encoding: 'utf8' });
  return { stdout: r.stdout, status: r.status };
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  cmdline: string;
  /** The network namespace, as readlink of /proc/PID/ns/net gives it: "net:[4026532…]". */
  netns: string;
}

/** Live (non-zombie) processes whose command line (and, when given, whole record) matches. */
export function liveProcesses(match: (cmdline: string, p: ProcessInfo) => boolean): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      const info = { pid: Number(entry), ppid: Number(fields[1]), cmdline, netns: readlinkSync(`/proc/${entry}/ns/net`) };
      if (match(cmdline, info)) found.push(info);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/**
 * The network namespaces of lab NAME's DUT and of its containers: tests running side by side share
 * one process table, so a check for leftover servers must look only there.
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

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
