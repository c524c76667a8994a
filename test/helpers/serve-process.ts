// A real `edgebench serve` for end-to-end tests: its JSON log lines as they come, its /metrics,
// its children; and what a fault-injection test does to a lab's DUT (dropbear, processes).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { parseExposition, type Sample } from '../../harness/exposition.js';
import { cli } from '../../harness/repo.js';
import { liveProcesses, type ProcessInfo, waitFor } from './lab.js';

export interface LogLine {
  level: number;
  time: number;
  msg: string;
  dut?: string;
  [key: string]: unknown;
}

export interface ServeOptions {
  args?: string[];
  env?: Record<string, string>;
  auth?: string;
}

export class ServeProcess {
  readonly lines: LogLine[] = [];
  private authorization: string | undefined;
  private raw = '';
  private partial = '';

  private constructor(
    readonly proc: ChildProcess,
    readonly port: number,
  ) {
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      this.raw += chunk;
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts) {
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line (a stack trace, a warning of node's)
        }
      }
    });
  }

  /** Starts `edgebench serve -c FILE [ARGS]`; FILE's `listen` must be 127.0.0.1:port. `auth` is "user:password" for every request. */
  static start(file: string, port: number, opts: ServeOptions = {}): ServeProcess {
    const proc = spawn(process.execPath, [cli, 'serve', '-c', file, ...(opts.args ?? [])], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    const serve = new ServeProcess(proc, port);
    serve.authorization = opts.auth && `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    return serve;
  }

  /** Starts it and waits for /-/ready. */
  static async ready(file: string, port: number, opts: ServeOptions = {}): Promise<ServeProcess> {
    const serve = ServeProcess.start(file, port, opts);
    await waitFor('edgebench serve to be ready', 30_000, async () => {
      if (serve.proc.exitCode !== null) throw new Error(`edgebench serve exited (${serve.proc.exitCode}):\n${serve.raw}`);
      return (await serve.get('/-/ready')).ok || undefined;
    }).catch((err: Error) => {
      serve.proc.kill('SIGKILL');
      throw new Error(`${err.message}\n${serve.raw}`);
    });
    return serve;
  }

  get(path: string, init?: RequestInit): Promise<Response> {
    const headers = this.authorization ? { authorization: this.authorization } : undefined;
    return fetch(`http://127.0.0.1:${this.port}${path}`, { headers, ...init });
  }

  /** Sends the signal; resolves with the exit code and how long the exit took, once stderr is read to its end. */
  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }> {
    const at = Date.now();
    const closed = new Promise<number | null>((resolve) => this.proc.once('close', (code) => resolve(code)));
    this.proc.kill(signal);
    const code = await closed;
    return { code, ms: Date.now() - at };
  }

  get pid(): number {
    return this.proc.pid as number;
  }

  /** Everything it logged so far, as it wrote it. */
  get log(): string {
    return this.raw;
  }

  /** The first log line from index `from` on that matches; waits for it. */
  async waitLog(what: string, timeoutMs: number, match: (l: LogLine) => boolean, from = 0): Promise<LogLine> {
    return waitFor(what, timeoutMs, async () => {
      if (this.proc.exitCode !== null)
        throw new Error(`edgebench serve exited (${this.proc.exitCode}) while waiting for ${what}:\n${this.raw}`);
      return this.lines.slice(from).find(match);
    });
  }

  async metrics(): Promise<Sample[]> {
    return parseExposition(await (await this.get('/metrics')).text());
  }

  /** The value of one series, or undefined when it is not exported. */
  async value(name: string, labels: Record<string, string>): Promise<number | undefined> {
    const found = (await this.metrics()).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${found.length} series`);
    return found[0]?.value;
  }

  /** Live processes it started itself (TM-side clients run in process groups of their own, as its children). */
  children(): ProcessInfo[] {
    return liveProcesses((_c, p) => p.ppid === this.pid);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; saves the log to `logFile`. */
  async stop(logFile?: string, graceMs = 15_000): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    if (logFile) writeFileSync(logFile, this.raw);
    return this.proc.exitCode;
  }
}

/** The network namespace of lab NAME's DUT itself (not its containers'), as /proc/PID/ns/net reads. */
export function dutNamespace(name: string): string {
  return `net:[${statSync(`/run/netns/eb-${name}`).ino}]`;
}

/** Every dropbear of lab NAME's DUT: the listener and one per connection. */
export function dropbears(name: string): ProcessInfo[] {
  const ns = dutNamespace(name);
  return liveProcesses((c, p) => /^dropbear /.test(c) && p.netns === ns);
}

/**
 * Kills every dropbear of the DUT, listener and sessions, as a crash or `killall -9 dropbear` would,
 * and waits until they are dead. Returns how many there were.
 */
export async function killDropbear(name: string): Promise<number> {
  const found = dropbears(name);
  for (const p of found) process.kill(p.pid, 'SIGKILL');
  await waitFor('the killed dropbears to die', 10_000, async () => (found.some((p) => alive(p.pid)) ? undefined : true));
  return found.length;
}

/**
 * Live processes whose environment carries an edgebench job marker (EDGEBENCH_JOB=…), in the
 * given network namespaces: whatever edgebench started on a DUT and did not end.
 */
export function markedProcesses(namespaces: ReadonlySet<string>): ProcessInfo[] {
  return liveProcesses((_c, p) => {
    if (!namespaces.has(p.netns)) return false;
    try {
      return readFileSync(`/proc/${p.pid}/environ`, 'latin1')
        .split('\0')
        .some((v) => v.startsWith('EDGEBENCH_JOB='));
    } catch {
      return false;
    }
  });
}

/** The process's state letter (R, S, T for stopped, Z, …), or undefined once it is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** Whether the process still exists and is not a zombie (this VM's PID 1 does not reap orphans). */
export function alive(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** Its network namespace, or undefined once it is gone. */
export function namespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}
