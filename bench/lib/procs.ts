// The DUT's process table, as seen from the lab host: every process whose network namespace is the
// DUT's or one of its containers', classified by what it is to edgebench.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export type ProcClass = 'ssh session' | 'shell' | 'tool' | 'lxc-attach' | 'helper' | 'unmarked';

export interface Proc {
  pid: number;
  ppid: number;
  /** Start time in clock ticks since boot: with the pid, a process's identity. */
  start: string;
  comm: string;
  cmdline: string;
  marked: boolean;
  cls: ProcClass;
}

const TOOLS = new Set([
  'sysbench',
  'nuttcp',
  'netserver',
  'iperf3',
  'perf',
  'hpcc',
  'xhpl',
  'linpack',
  'stream',
  'mpirun',
  'orterun',
  'prterun',
]);
const SHELLS = new Set(['sh', 'ash', 'busybox', 'dash', 'bash']);
const MARKER = 'EDGEBENCH_JOB=';

function classify(comm: string, marked: boolean): ProcClass {
  // dropbear's per-connection child serves the persistent SSH connection and its channels
  if (comm === 'dropbear') return 'ssh session';
  if (TOOLS.has(comm) || comm.startsWith('stream') || comm.startsWith('orted') || comm.startsWith('prted')) return 'tool';
  // lxc-attach runs itself again from a memfd
  if (comm === 'lxc-attach' || comm.startsWith('memfd:lxc-att')) return 'lxc-attach';
  // `export EDGEBENCH_JOB=…; exec sh -c …` is how every command's shell starts; `env` is a launcher
  // (stream's, setting lmbench's timing variables; every command's before d740fb9)
  if (SHELLS.has(comm) || comm === 'env') return marked ? 'shell' : 'unmarked';
  return marked ? 'helper' : 'unmarked';
}

/** What a program the DUT executed is to edgebench, from its path (strace's execve). */
export function execClass(path: string): Exclude<ProcClass, 'ssh session' | 'unmarked'> {
  const name = path.split('/').at(-1) ?? path;
  if (TOOLS.has(name) || name.startsWith('stream') || name.startsWith('orted') || name.startsWith('prted')) return 'tool';
  // lxc-attach runs itself again from a memfd
  if (name === 'lxc-attach' || path.startsWith('/proc/self/fd/') || path.startsWith('/dev/fd/')) return 'lxc-attach';
  if (SHELLS.has(name) || name === 'env') return 'shell';
  return 'helper';
}

/** Live (non-zombie) processes in these network namespaces. */
export function processesIn(namespaces: ReadonlySet<string>): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!namespaces.has(readlinkSync(`/proc/${entry}/ns/net`))) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      // the marker is in the environment, or being put there (the login shell's `export EDGEBENCH_JOB=…`); a
      // process that is exiting has no memory left to read either from: it is judged by its name
      const exiting = cmdline === '';
      const marked = exiting || readFileSync(`/proc/${entry}/environ`, 'latin1').includes(MARKER) || cmdline.includes(MARKER);
      out.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        start: fields[19] ?? '',
        comm,
        cmdline,
        marked,
        cls: classify(comm, marked),
      });
    } catch {
      // gone while we looked
    }
  }
  // edgebench's kill script runs unmarked (a plain exec, not to match itself): its children are
  // told by their parent, whose command line holds the markers it looks for
  const byPid = new Map(out.map((p) => [p.pid, p]));
  for (const p of out) {
    if (p.cls === 'unmarked' && byPid.get(p.ppid)?.marked) p.cls = 'helper';
  }
  return out;
}

export const identity = (p: Pick<Proc, 'pid' | 'start'>) => `${p.pid}/${p.start}`;

const CLIENTS = new Set(['nuttcp', 'netperf', 'iperf3']);

/** How many benchmark clients (nuttcp, netperf, iperf3) `parent` has running on the test machine. */
export function clientsOf(parent: number): number {
  let n = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && CLIENTS.has(comm)) n += 1;
    } catch {
      // gone
    }
  }
  return n;
}
