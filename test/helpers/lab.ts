// Helpers for tests against the one-host lab: lab names, the processes running, waiting for them
// (the lab itself: harness/lab.ts).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A lab name unique to this test process: [a-z][a-z0-9]{0,7}. */
export function labName(prefix: string): string {
  return `${prefix}${process.pid.toString(36)}`.slice(0, 8);
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

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
