// A JobContext for unit tests of a benchmark's own logic: DUT and TM commands are answered by
// the test, and every command is recorded.
import { isDeepStrictEqual } from 'node:util';
import type { Benchmark, DutExec, Job, JobContext } from '../../src/benchmarks/types.js';
import { ConfigError, type ConfigIssue, parseConfig } from '../../src/config/load.js';
import type { DutConfig } from '../../src/config/schema.js';
import type { LocalExec } from '../../src/remote/local-exec.js';
import type { ExecResult } from '../../src/remote/ssh-connection.js';

export interface FakeContext extends JobContext {
  dutCommands: string[];
  localCommands: string[][];
  perf: Map<string, boolean>;
}

const unexpectedLocal: LocalExec = async (argv) => {
  throw new Error(`unexpected TM command: ${argv.join(' ')}`);
};

export function fakeContext(exec: DutExec, local: LocalExec = unexpectedLocal): FakeContext {
  const dutCommands: string[] = [];
  const localCommands: string[][] = [];
  const perf = new Map<string, boolean>();
  return {
    dut: 'd1',
    dutCommands,
    localCommands,
    perf,
    signal: new AbortController().signal,
    exec: (cmd, o) => {
      dutCommands.push(cmd);
      return exec(cmd, o);
    },
    local: (argv, o) => {
      localCommands.push([...argv]);
      return local(argv, o);
    },
    perfSupported: (event, supported) => perf.set(event, supported),
  };
}

/** A background process the job started on the DUT (a server, perf stat) through startDutProcess. */
export interface FakeDutProcess {
  command: string;
  /** Its exec's AbortSignal fired: DutProcess.kill() ran. */
  killed: boolean;
  /** A `kill -INT` was sent to its pid file. */
  interrupted: boolean;
}

export interface FakeDutOptions {
  /** A process that ends at once (a missing tool): its result; undefined keeps it running until killed or interrupted. */
  exits?: (command: string) => ExecResult | undefined;
  /** What a running process prints and exits with on `kill -INT` (perf stat). */
  interrupted?: (command: string) => ExecResult;
  /** Any other DUT command: parallel scripts, cache sizes. */
  other?: DutExec;
}

export interface FakeDut {
  exec: DutExec;
  processes: FakeDutProcess[];
}

/** A process of startDutProcess: with its pid file (interruptible) or without (a server). */
const BACKGROUND = / & echo \$! >(\/tmp\/edgebench-\S+\.pid); wait \$!;|; rc=\$\?; \[ "\$rc" -eq 0 \]/;
const REMOVE_PID_FILE = /^rm -f \/tmp\/edgebench-\S+\.pid$/;
const INTERRUPT = /^read -r pid <(\/tmp\/edgebench-\S+\.pid) && kill -INT "\$pid"$/;
const never = new Promise<never>(() => {});

/**
 * A DUT for startDutServer and startDutProcess: a background process runs until its exec's signal
 * fires (then its exec rejects, as a killed ssh channel does), the listen-wait script answers
 * "listening" while the last started process runs and never answers after it has exited (so the
 * exit is what startDutServer sees), and `kill -INT` ends a process with `interrupted`'s result.
 */
export function fakeDut(o: FakeDutOptions = {}): FakeDut {
  const processes: FakeDutProcess[] = [];
  const running = new Map<string, { p: FakeDutProcess; resolve: (res: ExecResult) => void }>();
  const exec: DutExec = async (command, opts) => {
    const bg = BACKGROUND.exec(command);
    if (bg) {
      const p: FakeDutProcess = { command, killed: false, interrupted: false };
      processes.push(p);
      opts.signal?.addEventListener('abort', () => (p.killed = true), { once: true });
      const exited = o.exits?.(command);
      if (exited) return exited;
      const pidFile = bg[1] ?? `server ${processes.length}`;
      return new Promise((resolve, reject) => {
        opts.signal?.addEventListener('abort', () => reject(new Error('killed')), { once: true });
        running.set(pidFile, { p, resolve });
      });
    }
    const int = INTERRUPT.exec(command);
    if (int?.[1]) {
      const r = running.get(int[1]);
      if (!r) return { stdout: '', stderr: '', exitCode: 1 }; // no such process: cat finds no pid file
      r.p.interrupted = true;
      if (!o.interrupted) throw new Error(`unexpected kill -INT of ${r.p.command}`);
      r.resolve(o.interrupted(r.p.command));
      return { stdout: '', stderr: '', exitCode: 0 };
    }
    if (REMOVE_PID_FILE.test(command)) return { stdout: '', stderr: '', exitCode: 0 };
    if (command.includes('/proc/net/tcp')) {
      const last = processes.at(-1);
      return last && [...running.values()].some((r) => r.p === last) ? { stdout: '', stderr: '', exitCode: 0 } : never;
    }
    if (o.other) return o.other(command, opts);
    throw new Error(`unexpected DUT command: ${command}`);
  };
  return { exec, processes };
}

const IDENTITY = new URL('../fixtures/sysbench/CAPTURE.md', import.meta.url).pathname;

/** The YAML of one DUT d1, its fields given in flow style, one per line. */
const dutYaml = (fields: string) =>
  [
    'duts:',
    '  - name: d1',
    `    identity_file: ${IDENTITY}`,
    '    host_key: { fingerprint: "SHA256:E+nYlqxqWbNK1J2HJKOEGWBXxDKgQdX+J68iK94DoKk" }',
    ...fields
      .trim()
      .split('\n')
      .map((l) => `    ${l.trim()}`),
  ].join('\n');

/** DUT d1 as `edgebench` loads it (parseConfig, identity_file a readable fixture), from its other fields. */
export function parseDut(fields: string): DutConfig {
  const dut = parseConfig(dutYaml(fields), 'inline').duts[0];
  if (!dut) throw new Error('the configuration lost its DUT');
  return dut;
}

/** The issues of the ConfigError that loading DUT d1 with these fields throws. */
export function dutConfigIssues(fields: string): ConfigIssue[] {
  try {
    parseConfig(dutYaml(fields), 'inline');
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError, but the configuration was accepted');
}

/** Repetitions the job tests plan with: 5, fixed (a benchmark's own setting overrides them). */
export const FIVE_REPETITIONS = { repetitions: { min: 5, max: 5, max_rsd_percent: 0, warmup: false } };

/** Plans benchmark `b` with the parameters this DUT gives it. */
export function planOn<P>(b: Benchmark<P>, dut: DutConfig): Job[] {
  const params = (dut.benchmarks as Record<string, unknown>)[b.name];
  if (params === undefined) throw new Error(`no ${b.name} in the configuration`);
  return b.plan(params as P, dut, FIVE_REPETITIONS);
}

/** The job of benchmark `b` with exactly these labels, on a DUT given as YAML fields plus the benchmark's parameters. */
export function jobOn<P>(b: Benchmark<P>, dutFields: string, params: string, labels: Record<string, string>): Job {
  const job = planOn(b, parseDut(`${dutFields}\nbenchmarks: { ${b.name}: ${params} }`)).find((j) => isDeepStrictEqual(j.labels, labels));
  if (!job) throw new Error(`no job ${JSON.stringify(labels)}`);
  return job;
}
