// Process helpers for the benchmarks: run a command and time it, start one in the background, run
// `edgebench run` and read its JSON log, OpenSSH to a lab DUT.
import { type ChildProcess, spawn } from 'node:child_process';
import { cli } from '../../harness/repo.js';

export interface Ran {
  stdout: string;
  stderr: string;
  code: number | null;
  /** Wall time from spawn to exit, measured here. */
  ms: number;
}

export function run(argv: readonly string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const stdin = opts.input === undefined ? 'ignore' : 'pipe';
    const child = spawn(argv[0] as string, argv.slice(1), { env: opts.env ?? process.env, stdio: [stdin, 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), code, ms: performance.now() - t0 }),
    );
    if (opts.input !== undefined) {
      child.stdin?.on('error', () => {}); // a child that exits without reading its input
      child.stdin?.end(opts.input);
    }
  });
}

export async function mustRun(argv: readonly string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Ran> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r;
}

/** A background process and its output so far; `stop` kills it (by its own pid) and waits. */
export interface Background {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function background(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Background {
  const child = spawn(argv[0] as string, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, timeoutMs: number, probe: () => Promise<boolean> | boolean, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A `job done` (or `job failed`) record of edgebench's JSON log. */
export interface JobLog {
  msg: string;
  /** Epoch ms when the record was written: the job's end. */
  time: number;
  benchmark: string;
  labels: Record<string, string>;
  mean?: number;
  n?: number;
  durationSeconds?: number;
  reason?: string;
  err?: string;
}

export function jobLogs(stderr: string): JobLog[] {
  const jobs: JobLog[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const rec = JSON.parse(line) as JobLog;
      if (rec.msg === 'job done' || rec.msg === 'job failed') jobs.push(rec);
    } catch {
      // not a log record
    }
  }
  return jobs;
}

/** `edgebench run -c CONFIG` with info-level JSON logs; resolves with its job records. */
export async function edgebenchRun(config: string, benchmarks: readonly string[] = []): Promise<Ran & { jobs: JobLog[] }> {
  const argv = [process.execPath, cli, 'run', '-c', config, ...benchmarks.flatMap((b) => ['-b', b])];
  const r = await run(argv, { env: { ...process.env, EDGEBENCH_LOG_LEVEL: 'info' } });
  return { ...r, jobs: jobLogs(r.stderr) };
}

/** `--name value` options of a script, with defaults. */
export function options<T extends Record<string, string>>(defaults: T): T {
  const out: Record<string, string> = { ...defaults };
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const key = args[i]?.replace(/^--/, '') ?? '';
    if (!(key in defaults) || args[i + 1] === undefined) {
      console.error(
        `usage: ${Object.entries(defaults)
          .map(([k, v]) => `[--${k} ${v}]`)
          .join(' ')}`,
      );
      process.exit(2);
    }
    out[key] = args[++i] as string;
  }
  return out as T;
}
