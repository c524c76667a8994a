// A JobContext for unit tests of a benchmark's own logic: DUT and TM commands are answered by
// the test, and every command is recorded.
import { isDeepStrictEqual } from 'node:util';
import type { Benchmark } from '../../src/benchmarks/benchmark.js';
import type { Job, JobContext } from '../../src/benchmarks/job.js';
import { ConfigError, type ConfigIssue, parseConfig } from '../../src/config-file/load.js';
import type { DutConfig } from '../../src/config-file/schema.js';
import { LISTENING } from '../../src/remote/dut-process.js';
import type { DutExec } from '../../src/remote/dut-session.js';
import { JobError } from '../../src/remote/errors.js';
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
    workDir: (d) => `/tmp/edgebench.${d.where.kind === 'native' ? 'native' : d.where.container}${d.slot}`,
  };
}

/**
 * A DUT running the k-instance script (parallelScript), which prints each instance's output a
 * prefixed line at a time, then its exit status. Any other command is not expected.
 */
export function parallelDut(...instances: [number, string][]): FakeContext {
  return fakeContext(async (cmd) => {
    if (!cmd.startsWith("nl='\n'\nemit() {")) throw new Error(`unexpected DUT command: ${cmd}`);
    const stdout = instances
      .map(
        ([code, out], i) =>
          `${out
            .replace(/\n$/, '')
            .split('\n')
            .map((l) => `${i}|${l}\n`)
            .join('')}${i}$${code}\n`,
      )
      .join('');
    return { stdout, stderr: '', exitCode: 0 };
  });
}

/** A background process the job started on the DUT (a server, perf stat) through startDutProcess. */
export interface FakeDutProcess {
  command: string;
  /** It was killed: by the word `kill`, or by its exec's AbortSignal (the kill by marker). */
  killed: boolean;
  /** It got the word `int`. */
  interrupted: boolean;
  /** Looks for its LISTEN socket the test machine asked for after the first. */
  looks: number;
}

export interface FakeDutOptions {
  /** A process that ends at once (a missing tool): its result; undefined keeps it running until stopped. */
  exits?: (command: string) => ExecResult | undefined;
  /** A server never listens when false. Default true. */
  listens?: boolean;
  /** What a running process prints and exits with on `int` (perf stat). */
  interrupted?: (command: string) => ExecResult;
  /** Any other DUT command: parallel scripts, cache sizes. */
  other?: DutExec;
}

export interface FakeDut {
  exec: DutExec;
  processes: FakeDutProcess[];
}

const NOT_YET = '@@edgebench not listening@@\n';

/**
 * A DUT for startDutServer and startDutProcess, speaking their script's part: a server reports
 * "listening" at once (or "not listening" after every look, with `listens: false`), `kill` ends a
 * process with 0, `int` with `interrupted`'s result, and an abort (the kill by marker) rejects
 * its exec as a killed ssh channel does.
 */
export function fakeDut(o: FakeDutOptions = {}): FakeDut {
  const processes: FakeDutProcess[] = [];
  const exec: DutExec = async (command, opts) => {
    if (!command.includes('read -r word')) {
      if (o.other) return o.other(command, opts);
      throw new Error(`unexpected DUT command: ${command}`);
    }
    const p: FakeDutProcess = { command, killed: false, interrupted: false, looks: 0 };
    processes.push(p);
    opts.signal?.addEventListener('abort', () => (p.killed = true), { once: true });
    const exited = o.exits?.(command);
    if (exited) return exited;
    const server = command.includes(LISTENING);
    return new Promise((resolve, reject) => {
      opts.signal?.addEventListener('abort', () => reject(new JobError('cancelled', 'cancelled')), { once: true });
      const print = (text: string) => setImmediate(() => opts.onStdout?.(text));
      opts.onOpen?.({
        write(text) {
          if (text === '\n') {
            p.looks += 1;
            print(NOT_YET);
          } else if (text === 'kill\n') {
            p.killed = true;
            resolve({ stdout: '', stderr: '', exitCode: 0 });
          } else if (text === 'int\n') {
            p.interrupted = true;
            if (!o.interrupted) return reject(new Error(`unexpected int to ${command}`));
            resolve(o.interrupted(command));
          } else reject(new Error(`unexpected input ${JSON.stringify(text)} to ${command}`));
        },
      });
      if (server) print(o.listens === false ? NOT_YET : `${LISTENING}\n`);
    });
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
