// What ran on an emulated DUT (lab/emulated/: a QEMU guest with its own kernel), in the guest's own
// words: BSD process accounting records (the kernel's acct v3, one per process, written when it
// exits) and /proc/stat, read over an OpenSSH control connection (one handshake, each command a
// channel), so that reading them costs the guest a shell per command and no key exchange.
//
// Accounting: `accton FILE` on the guest; every `mark()` switches to a new file and brings the
// previous one back, and returns the pid of the control command's own shell. PIDs are handed out in
// order, so the pids between two marks are exactly the processes started between them (a process
// that exits after the next switch is in the next file, and still found by its pid). The control
// commands' own processes (children of the control connection's dropbear session) are left out.
//
// Resolution, from the kernel (kernel/acct.c, 6.1): user and system time are the task's tick-sampled
// times (CONFIG_TICK_CPU_ACCOUNTING, HZ 250 on Debian's malta kernel: 4 ms ticks) truncated to
// 1/AHZ = 10 ms each; elapsed time is to 10 ms; the start time (ac_btime) to the second.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Background, background, until } from './exec.js';
import { type Lab, sshArgv } from './lab.js';

/** The kernel's AHZ: acct v3 times are in hundredths of a second. */
export const AHZ = 100;
/** The largest CPU time one record can lose to truncation: 10 ms of user and 10 ms of system time. */
export const TRUNCATION_PER_RECORD_S = 2 / AHZ;
/** ac_flag: forked but not exec'd (dropbear's session process, lxc-attach's intermediate). */
export const AFORK = 0x01;

export interface AcctRecord {
  comm: string;
  pid: number;
  ppid: number;
  /** CPU seconds in user and kernel mode (each truncated to 10 ms). */
  user: number;
  system: number;
  /** Seconds from the process's fork to its exit (10 ms). */
  elapsed: number;
  /** Start, whole seconds since the epoch, guest clock. */
  btime: number;
  flags: number;
  exitcode: number;
}

export const cpuOf = (r: Pick<AcctRecord, 'user' | 'system'>) => r.user + r.system;

/** comp_t: 13-bit mantissa, 3-bit base-8 exponent. */
const comp = (v: number) => (v & 0x1fff) * 8 ** (v >> 13);
const RECORD = 64;

/** struct acct_v3 records, in either byte order (ac_version's high bit says big-endian). */
export function parseAcct(buf: Buffer): AcctRecord[] {
  if (buf.length % RECORD !== 0) throw new Error(`accounting file of ${buf.length} bytes: not whole acct_v3 records`);
  const out: AcctRecord[] = [];
  for (let o = 0; o < buf.length; o += RECORD) {
    const version = buf.readUInt8(o + 1);
    if ((version & 0x7f) !== 3) throw new Error(`not an acct_v3 record at byte ${o} (version ${version})`);
    const le = (version & 0x80) === 0;
    const u32 = (at: number) => (le ? buf.readUInt32LE(o + at) : buf.readUInt32BE(o + at));
    const u16 = (at: number) => (le ? buf.readUInt16LE(o + at) : buf.readUInt16BE(o + at));
    const f32 = (at: number) => (le ? buf.readFloatLE(o + at) : buf.readFloatBE(o + at));
    const comm = buf.subarray(o + 48, o + 64);
    const nul = comm.indexOf(0);
    out.push({
      flags: buf.readUInt8(o),
      exitcode: u32(4),
      pid: u32(16),
      ppid: u32(20),
      btime: u32(24),
      elapsed: f32(28) / AHZ,
      user: comp(u16(32)) / AHZ,
      system: comp(u16(34)) / AHZ,
      comm: comm.subarray(0, nul < 0 ? comm.length : nul).toString('latin1'),
    });
  }
  return out;
}

/** The guest's /proc/uptime and /proc/stat `cpu` line at one instant. */
export interface CpuSnapshot {
  /** Seconds since boot. */
  uptime: number;
  /** USER_HZ (1/100 s) ticks: user + nice + system + irq + softirq + steal. */
  busy: number;
  /** busy + idle + iowait. */
  total: number;
  /** Some of busy's parts. */
  user: number;
  system: number;
  irq: number;
  softirq: number;
  /** When the test machine got the answer (epoch ms). */
  at: number;
}

export function parseSnapshot(line: string, at: number): CpuSnapshot {
  const [uptime, cpu, ...f] = line.trim().split(/\s+/);
  if (cpu !== 'cpu' || f.length < 8) throw new Error(`not /proc/uptime and /proc/stat's cpu line: ${line}`);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f.map(Number) as number[];
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return {
    uptime: Number(uptime),
    busy,
    total: busy + (idle ?? 0) + (iowait ?? 0),
    user: (user ?? 0) + (nice ?? 0),
    system: system ?? 0,
    irq: irq ?? 0,
    softirq: softirq ?? 0,
    at,
  };
}

/** A live process's CPU so far, from /proc/PID/stat. */
export interface LiveProcess {
  pid: number;
  comm: string;
  /** utime + stime, USER_HZ ticks. */
  ticks: number;
  /** pid and start time (ticks since boot): one process. */
  key: string;
}

export function parseProcStats(text: string): LiveProcess[] {
  const out: LiveProcess[] = [];
  for (const line of text.split('\n')) {
    const open = line.indexOf('(');
    const close = line.lastIndexOf(')');
    if (open < 0 || close < open) continue;
    // after the comm: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime … starttime (20th)
    const f = line.slice(close + 2).split(' ');
    const pid = Number(line.slice(0, open).trim());
    out.push({ pid, comm: line.slice(open + 1, close), ticks: Number(f[11]) + Number(f[12]), key: `${pid}/${f[19]}` });
  }
  return out;
}

interface RawRan {
  stdout: Buffer;
  stderr: string;
  code: number | null;
}

function runRaw(argv: readonly string[], input?: string): Promise<RawRan> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString(), code }));
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** An emulated DUT seen from inside: a control connection, its accounting, its CPU counters. */
export class Guest {
  /** The pid of the guest's listening dropbear: every SSH connection's session process is its child. */
  mainDropbear = 0;
  /** The control connection's session process on the guest. */
  controlSession = 0;
  /** Every accounting record read so far, file after file, each file in exit order. */
  readonly records: AcctRecord[] = [];
  private readonly socket: string;
  private readonly options: string[];
  private readonly destination: string;
  private master?: Background;
  private file = 0;
  private on = false;

  private constructor(readonly lab: Lab) {
    const argv = sshArgv(lab, 'true');
    this.options = argv.slice(1, -2);
    this.destination = argv.at(-2) as string;
    this.socket = join(lab.work, 'guest-control.sock');
  }

  static async open(lab: Lab): Promise<Guest> {
    const g = new Guest(lab);
    g.master = background(['ssh', '-M', '-S', g.socket, '-N', ...g.options, g.destination]);
    await until('the control connection to the guest', 60_000, () => {
      if (g.master?.child.exitCode !== null) throw new Error(`control ssh exited: ${g.master?.stderr()}`);
      return existsSync(g.socket);
    });
    const [session, main] = (await g.sh('read -r d </run/dropbear.pid; echo "$PPID $d"')).trim().split(' ').map(Number);
    if (!session || !main) throw new Error('cannot tell the guest dropbear pids');
    g.controlSession = session;
    g.mainDropbear = main;
    return g;
  }

  /** A command over the control connection; its stdout as text. */
  async sh(command: string, input?: string): Promise<string> {
    const r = await this.raw(command, input);
    return r.stdout.toString();
  }

  private async raw(command: string, input?: string): Promise<RawRan> {
    const r = await runRaw(['ssh', '-S', this.socket, ...this.options, this.destination, command], input);
    if (r.code !== 0) throw new Error(`guest: \`${command}\` exited ${r.code}: ${r.stderr.trim()}`);
    return r;
  }

  private path = (n: number) => `/tmp/edgebench-bench-acct.${n}`;

  /** Turns accounting on (into a fresh file) and returns the first mark. */
  async acctOn(): Promise<number> {
    const f = this.path(this.file);
    const r = await this.raw(`: >${f} && accton ${f} >/dev/null && echo $$ >&2`);
    this.on = true;
    return Number(r.stderr.trim().split('\n').at(-1));
  }

  /**
   * Switches accounting to a new file, reads the previous one and returns the pid of this command's
   * shell: every process started before it has a smaller pid (but after a pid wrap), every later one
   * a larger.
   */
  async mark(): Promise<number> {
    if (!this.on) throw new Error('accounting is off');
    const old = this.path(this.file);
    const next = this.path(++this.file);
    const r = await this.raw(`: >${next} && accton ${next} >/dev/null && cat ${old} && rm -f ${old}; echo $$ >&2`);
    this.records.push(...parseAcct(r.stdout));
    return Number(r.stderr.trim().split('\n').at(-1));
  }

  /** Turns accounting off and reads the last file. */
  async acctOff(): Promise<void> {
    if (!this.on) return;
    const f = this.path(this.file);
    const r = await this.raw(`accton off >/dev/null; cat ${f}; rm -f ${f}`);
    this.records.push(...parseAcct(r.stdout));
    this.on = false;
  }

  /** /proc/uptime and /proc/stat's cpu line, read with shell builtins (no process of its own). */
  async snapshot(): Promise<CpuSnapshot> {
    const line = await this.sh('read -r u _ </proc/uptime; read -r c </proc/stat; echo "$u $c"');
    return parseSnapshot(line, Date.now());
  }

  /** Every live process's CPU so far (kernel threads included), read with shell builtins. */
  async processes(): Promise<LiveProcess[]> {
    return parseProcStats(await this.sh('for f in /proc/[0-9]*/stat; do read -r l <"$f" && echo "$l"; done 2>/dev/null; :'));
  }

  /** Whether a record is the control connection's own (its session, its shells, their children). */
  isControl(r: AcctRecord, byPid: ReadonlyMap<number, AcctRecord>): boolean {
    let cur: AcctRecord | undefined = r;
    for (let depth = 0; cur && depth < 8; depth++) {
      if (cur.pid === this.controlSession || cur.ppid === this.controlSession) return true;
      cur = byPid.get(cur.ppid);
    }
    return false;
  }

  /** The records of processes started between two marks, the control connection's left out. */
  between(lo: number, hi: number): AcctRecord[] {
    const byPid = new Map(this.records.map((r) => [r.pid, r]));
    // pids wrap at pid_max (32768 on a 32-bit guest): the window then spans the wrap
    const inside = (p: number) => (lo < hi ? p > lo && p < hi : p > lo || p < hi);
    return this.records.filter((r) => inside(r.pid) && !this.isControl(r, byPid));
  }

  async close(): Promise<void> {
    try {
      await this.acctOff();
    } finally {
      await runRaw(['ssh', '-S', this.socket, '-O', 'exit', this.destination]).catch(() => undefined);
      await this.master?.stop();
    }
  }
}
