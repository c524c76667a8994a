// Linpack, the paper's Fig. 3: the rate of solving a dense N x N system (N = 1000), in FLOP/s per instance.
// A DUT may have hpcc (HPL inside, Debian's package), a standalone HPL (xhpl), or the classic linpack C program.
// k instances: k processes natively, or one in each of k pool containers.
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { DutTarget } from '../config/dut.js';
import { duration, maxOutputBytes, mode, positiveInt, repetitions, toolPath } from '../config/fields.js';
import { JobError } from '../remote/errors.js';
import type { ExecContext } from '../remote/exec-context.js';
import { runParallel } from '../remote/parallel.js';
import { shellQuote } from '../remote/shell-quote.js';
import { parsed } from '../remote/tool-failure.js';
import type { Benchmark, ResultFamily } from './benchmark.js';
import { instanceContexts, instanceJobs, poolIssues } from './instances.js';
import type { Job, WorkDir } from './job.js';
import { jobBase } from './job-base.js';

export type LinpackTool = 'hpcc' | 'hpl' | 'linpack';

export interface LinpackSample {
  tool: LinpackTool;
  /** Order of the solved system. The classic program's "array size" is a leading dimension, not N. */
  n: number;
  /** FLOP/s. */
  flops: number;
  /** Time to solve the system once, where the tool reports it (HPL). */
  seconds?: number;
  /** HPL's scaled residual check; absent where the tool checks nothing. */
  residualPassed?: boolean;
}

/**
 * hpcc's input file (hpccinf.txt, HPL.dat plus four PTRANS lines) for one process: P = Q = 1, one problem of
 * order n with block size nb. hpcc sizes its other tests from the HPL matrix, so a small n keeps the whole run short.
 */
export function hpccInput(n: number, nb = Math.min(n, 64)): string {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`hpcc problem size must be a positive integer, got ${n}`);
  if (!Number.isInteger(nb) || nb < 1 || nb > n) throw new RangeError(`hpcc block size must be an integer from 1 to ${n}, got ${nb}`);
  const line = (value: string | number, what: string) => `${String(value).padEnd(13)}${what}`;
  return [
    'HPLinpack benchmark input file',
    'Innovative Computing Laboratory, University of Tennessee',
    line('HPL.out', 'output file name (if any)'),
    line(6, 'device out (6=stdout,7=stderr,file)'),
    line(1, '# of problems sizes (N)'),
    line(n, 'Ns'),
    line(1, '# of NBs'),
    line(nb, 'NBs'),
    line(0, 'PMAP process mapping (0=Row-,1=Column-major)'),
    line(1, '# of process grids (P x Q)'),
    line(1, 'Ps'),
    line(1, 'Qs'),
    line('16.0', 'threshold'),
    line(1, '# of panel fact'),
    line(2, 'PFACTs (0=left, 1=Crout, 2=Right)'),
    line(1, '# of recursive stopping criterium'),
    line(4, 'NBMINs (>= 1)'),
    line(1, '# of panels in recursion'),
    line(2, 'NDIVs'),
    line(1, '# of recursive panel fact.'),
    line(1, 'RFACTs (0=left, 1=Crout, 2=Right)'),
    line(1, '# of broadcast'),
    line(1, 'BCASTs (0=1rg,1=1rM,2=2rg,3=2rM,4=Lng,5=LnM)'),
    line(1, '# of lookahead depth'),
    line(1, 'DEPTHs (>=0)'),
    line(2, 'SWAP (0=bin-exch,1=long,2=mix)'),
    line(64, 'swapping threshold'),
    line(0, 'L1 in (0=transposed,1=no-transposed) form'),
    line(0, 'U  in (0=transposed,1=no-transposed) form'),
    line(1, 'Equilibration (0=no,1=yes)'),
    line(8, 'memory alignment in double (> 0)'),
    '##### This line (no. 32) is ignored (it serves as a separator). ######',
    line(0, 'Number of additional problem sizes for PTRANS'),
    line('1200', 'values of N'),
    line(0, 'number of additional blocking sizes for PTRANS'),
    line('64', 'values of NB'),
    '',
  ].join('\n');
}

/**
 * A rate from the tool's text times 10^pow, rounded as the decimal would be (0.0331844 Tflop/s is 33184400000).
 * `what` names the tool for the error: a rate that is not a positive finite number is no measurement.
 */
function scaled(text: string, pow: number, what: string): number {
  const m = /^(\d+(?:\.\d*)?)(?:[eE]([+-]?\d+))?$/.exec(text);
  const rate = m ? Number(`${m[1]}e${Number(m[2] ?? 0) + pow}`) : Number.NaN;
  if (!Number.isFinite(rate) || rate <= 0) throw new Error(`${what} has no usable rate: ${quote(text)}`);
  return rate;
}

const quote = (line: string) => `"${line.trim().slice(0, 200)}"`;

// HPL's result table row: T/V (W for wall time, then R or C for the process mapping and the variant), N, NB, P, Q,
// Time, Gflops. The same row in xhpl's output and in hpcc's HPL section.
const HPL_ROW = /^(W[RC]\S*)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+(?:\.\d*)?)\s+(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)\s*$/gm;
const HPL_ROW_ANYWHERE = new RegExp(HPL_ROW.source, 'm');
// Each regex here has at most one quantifier that can run over a given stretch of text: ".*\.{3,}" or
// "\s*(.*?)\s*" would try every split of a long run of dots or spaces (quadratic, cubic), and "^\s*" with /m
// rescans a run of blank lines from each of them. Trimming is left to code.
const RESIDUAL_CHECK = /^\|\|Ax-b\|\|.*\.\.\.\s*(PASSED|FAILED)\s*$/gm;
// HPL_pwarn / HPL_pabort: "HPL ERROR from process # 0, on line 352 of function HPL_pdinfo:" then ">>> message <<<".
const HPL_DIAGNOSTIC = /^(HPL (?:ERROR|WARNING) from process .*)\r?\n\s*>>>(.*)<<<\s*$/m;

interface HplResult {
  n: number;
  seconds: number;
  flops: number;
  residualPassed: boolean | undefined;
}

/** Every row of HPL's result table, each with the residual checks printed after it. Throws on a FAILED check. */
function hplResults(text: string): HplResult[] {
  const rows = [...text.matchAll(HPL_ROW)];
  return rows.map((row, i) => {
    const after = text.slice((row.index ?? 0) + row[0].length, rows[i + 1]?.index ?? text.length);
    const checks = [...after.matchAll(RESIDUAL_CHECK)];
    const failed = checks.find((c) => c[1] === 'FAILED');
    if (failed) throw new Error(`HPL residual check FAILED for N=${row[2]}: ${quote(failed[0])}`);
    return {
      n: Number(row[2]),
      seconds: Number(row[6]),
      flops: scaled(row[7] as string, 9, 'HPL output'), // Gflop/s
      residualPassed: checks.length > 0 ? true : undefined,
    };
  });
}

function noHplResult(text: string, what: string): Error {
  const skipped = /^[ \t]*([1-9]\d*) tests skipped because of illegal input values\.?\s*$/m.exec(text);
  return new Error(
    skipped ? `${what} ran no HPL test: ${quote(skipped[0])}` : `${what} has no HPL result line (truncated output, or HPL did not run)`,
  );
}

/** HPL's convention with several tests (Rmax): the fastest one. */
const best = (results: HplResult[]): HplResult => results.reduce((a, b) => (b.flops > a.flops ? b : a));

function sample(tool: LinpackTool, r: { n: number; flops: number; seconds?: number; residualPassed?: boolean | undefined }): LinpackSample {
  // N and the time come from the text as digits: 400 of them overflow, and hpcc's summary keys are any word
  if (!Number.isSafeInteger(r.n) || r.n < 1) throw new Error(`${tool} output has no usable problem size N (${r.n})`);
  if (r.seconds !== undefined && !(Number.isFinite(r.seconds) && r.seconds >= 0)) {
    throw new Error(`${tool} output has no usable time (${r.seconds} s)`);
  }
  const s: LinpackSample = { tool, n: r.n, flops: r.flops };
  if (r.seconds !== undefined) s.seconds = r.seconds;
  if (r.residualPassed !== undefined) s.residualPassed = r.residualPassed;
  return s;
}

// HPL closes every run with "End of Tests."; rows without it are from a cut output whose checks went missing.
function completeHplResults(text: string, what: string): HplResult[] {
  const results = hplResults(text);
  if (results.length === 0) throw noHplResult(text, what);
  if (!/^End of Tests\.\s*$/m.test(text)) throw new Error(`${what} ends before HPL's "End of Tests." (truncated output?)`);
  return results;
}

function parseHpcc(text: string): LinpackSample {
  // hpcc appends to hpccoutf.txt: read the last run only, so a stale result is never taken for a new one.
  const run = text.slice(Math.max(0, text.lastIndexOf('This is the DARPA/DOE HPC Challenge Benchmark')));
  const begin = run.indexOf('Begin of HPL section.');
  if (begin < 0) throw noHplResult(run, 'hpcc output');
  const end = run.indexOf('End of HPL section.', begin);
  const r = best(completeHplResults(run.slice(begin, end < 0 ? run.length : end), 'hpcc output'));
  // The summary section repeats the result with more digits (HPL_Tflops=0.00508638 for a row's 5.086e+00).
  const key = (name: string) => new RegExp(`^${name}=(\\S+)\\s*$`, 'm').exec(run)?.[1];
  const tflops = key('HPL_Tflops');
  const n = key('HPL_N');
  const time = key('HPL_time');
  if (tflops !== undefined && n !== undefined && time !== undefined) {
    return sample('hpcc', {
      n: Number(n),
      flops: scaled(tflops, 12, 'hpcc output'), // Tflop/s
      seconds: Number(time),
      residualPassed: r.residualPassed,
    });
  }
  return sample('hpcc', r);
}

function parseHpl(text: string): LinpackSample {
  return sample('hpl', best(completeHplResults(text, 'HPL output')));
}

/**
 * netlib's linpackc (Bonnie Toy's translation, Dongarra 1994, Langou 2009): N = 100 in arrays of leading
 * dimension 201 and 200. Its last line, "... Precision NNN Kflops ; 1000 Reps", is the program's own result: the
 * lower of the two rates averaged over 1000 solves (one per leading dimension). The per-row figures are single
 * solves timed at the clock's resolution.
 */
function parseNetlibLinpack(text: string): LinpackSample {
  const order = /times are reported for matrices of order\s+(\d+)/.exec(text);
  const summary = /^[ \t]*(?:Rolled|Unrolled)\s+(?:Single|Double)\s+Precision\s+(\d+)\s+Kflops\s*;\s*(\d+)\s+Reps/m.exec(text);
  if (!order || !summary) throw new Error('linpack output has no "Kflops ; Reps" result line (truncated output?)');
  return sample('linpack', { n: Number(order[1]), flops: scaled(summary[1] as string, 3, 'linpack output') });
}

/**
 * Will Menninger's linpack.c (netlib linpackc.new): reads an array size (default 200) and solves a system of half
 * that order, N = 100 for 200. Each row doubles the repetitions until one takes 10 s; the last row is the longest,
 * least noisy measurement.
 */
function parseMenningerLinpack(text: string): LinpackSample {
  const size = [...text.matchAll(/^Array size (\d+) X \d+\.\s*$/gm)].at(-1);
  const row = [...text.matchAll(/^[ \t]*\d+\s+\d+\.\d+\s+\d+\.\d+%\s+\d+\.\d+%\s+\d+\.\d+%\s+(\d+(?:\.\d*)?)\s*$/gm)].at(-1);
  if (!size || !row || (row.index ?? 0) < (size.index ?? 0)) {
    const refusal = /^(?:Not enough memory available.*|Too small\.)$/m.exec(text);
    throw new Error(refusal ? `linpack: ${quote(refusal[0])}` : 'linpack output has no KFLOPS row (truncated output?)');
  }
  return sample('linpack', { n: Math.floor(Number(size[1]) / 2), flops: scaled(row[1] as string, 3, 'linpack output') });
}

/**
 * Parses the output of hpcc (hpccoutf.txt), of a standalone HPL (xhpl) or of the classic linpack C program,
 * recognising the format. Throws on anything else, on a FAILED residual check, on output with no result, and on
 * HPL's own errors and warnings (hpcc reports a bad or missing hpccinf.txt on stderr only, then runs its defaults:
 * give the parser stderr too so that such a run is not taken for the requested one).
 */
export function parseLinpack(text: string): LinpackSample {
  const diagnostic = HPL_DIAGNOSTIC.exec(text);
  if (diagnostic) {
    const head = (diagnostic[1] as string).trimEnd();
    const from = (head.endsWith(':') ? head.slice(0, -1) : head).trimEnd().slice(0, 200);
    const input = from.includes('HPL_pdinfo') ? ' (the input file was not used: hpcc then runs its default problem)' : '';
    throw new Error(`${from}: ${quote(diagnostic[2] as string)}${input}`);
  }
  if (/This is the DARPA\/DOE HPC Challenge Benchmark|^Begin of HPL section\.$/m.test(text)) return parseHpcc(text);
  if (/^HPLinpack \d/m.test(text) || HPL_ROW_ANYWHERE.test(text)) return parseHpl(text);
  if (/Precision Linpack|times are reported for matrices of order/.test(text)) return parseNetlibLinpack(text);
  if (/^LINPACK benchmark, \w+ precision\.$/m.test(text)) return parseMenningerLinpack(text);
  const first = text.split('\n').find((l) => /\w/.test(l));
  throw new Error(
    `not Linpack output (no HPL result table, hpcc output or linpack Kflops line)${first === undefined ? ': empty' : `: ${quote(first)}`}`,
  );
}

const params = z.strictObject({
  modes: z.array(mode).min(1).default(['native', 'lxc']),
  instances: z.array(positiveInt(64)).min(1).default([1, 2, 4]),
  tool: z.enum(['hpcc', 'hpl', 'linpack']).default('hpcc').meta({
    description:
      "What the DUT has: hpcc (Debian's package), hpl (a standalone xhpl) or linpack (the classic C program, whose N is its own)",
  }),
  n: positiveInt(100_000).default(1000).meta({ description: 'Problem size N for hpcc and hpl (the paper: 1000)' }),
  block_size: positiveInt(1000).default(64).meta({ description: 'HPL block size NB' }),
  mpirun: z
    .union([toolPath, z.literal(false)])
    .default('mpirun')
    .meta({
      description: 'Launcher for hpcc and hpl, or false to run the binary directly as an MPI singleton',
    }),
  repetitions: repetitions.optional(),
  timeout: duration('10m').prefault('10m').meta({ description: 'Per repetition' }),
  max_output_bytes: maxOutputBytes,
  path: toolPath.optional().meta({ description: 'The tool on the DUT; defaults to hpcc, xhpl or linpack' }),
});
type Params = z.output<typeof params>;

const family: ResultFamily = {
  name: 'edgebench_linpack_flops',
  help: 'Linpack (HPL in hpcc, xhpl or classic linpack) rate per instance, FLOP/s',
  labelNames: ['mode', 'instances'],
  title: 'Linpack FLOP/s',
  paperRef: 'Fig. 3',
  legend: '×{{instances}}',
  higherIsBetter: true,
  display: { symbol: 'MFLOPS', grafana: 'mflops', divisor: 1e6 },
  instancesFigure: {
    title: 'Fig. 3: Linpack MFLOPS per instance vs instances',
    description: 'Linpack (N = 1000): MFLOPS of one instance when k instances run in parallel, native vs LXC. Higher is better.',
  },
};

const DEFAULT_PATHS: Record<LinpackTool, string> = { hpcc: 'hpcc', hpl: 'xhpl', linpack: 'linpack' };

const INPUT: Record<Exclude<LinpackTool, 'linpack'>, string> = { hpcc: 'hpccinf.txt', hpl: 'HPL.dat' };

/**
 * One instance, as a busybox-sh script: hpcc and xhpl read their input from the working directory
 * (the round's, one per instance), and hpcc appends its output to hpccoutf.txt there, which is
 * emptied before and printed after with builtins (xhpl prints to stdout: the input says so).
 * stderr is kept: HPL reports an unusable input file only there, and then runs its own defaults.
 */
export function instanceScript(p: Params, dir?: string): string {
  const tool = p.path ?? DEFAULT_PATHS[p.tool];
  if (p.tool === 'linpack') return `${shellQuote(tool)} 2>&1`;
  if (dir === undefined) throw new Error(`instanceScript: ${p.tool} needs a working directory`);
  const launch = p.mpirun === false ? shellQuote(tool) : `${shellQuote(p.mpirun)} -np 1 ${shellQuote(tool)}`;
  const hpcc = p.tool === 'hpcc';
  return [
    `cd ${shellQuote(dir)} || exit 125`,
    ...(hpcc ? [': >hpccoutf.txt'] : []),
    // Open MPI refuses to run as root without these; other MPIs ignore them
    `OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ${launch} 2>&1`,
    'rc=$?',
    ...(hpcc ? [`while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done <hpccoutf.txt`] : []),
    'exit $rc',
  ].join('\n');
}

/** The working directories of k instances in these contexts: one each, with the input file. */
export function workDirsOf(p: Params, where: readonly ExecContext[]): WorkDir[] {
  if (p.tool === 'linpack') return [];
  const files = { [INPUT[p.tool]]: hpccInput(p.n, Math.min(p.block_size, p.n)) };
  return where.map((w, i) => ({ where: w, slot: where.slice(0, i).filter((o) => isDeepStrictEqual(o, w)).length, files }));
}

function flopsOf(p: Params, where: string, output: string): number {
  const sample = parsed(p.tool, where, output, parseLinpack);
  if (p.tool !== 'linpack' && sample.n !== p.n) {
    throw new JobError(
      'parse',
      `${p.tool} on ${where} solved N = ${sample.n}, not the configured ${p.n}: was its input file read?`,
      output,
    );
  }
  return sample.flops;
}

function plan(p: Params, dut: DutTarget, defaults: Pick<Job, 'repetitions'>): Job[] {
  const tool = p.path ?? DEFAULT_PATHS[p.tool];
  const base = jobBase('linpack', family, p, defaults);
  const jobs = instanceJobs(base, p.modes, p.instances, dut, async (ctx, where) => {
    const dirs = workDirsOf(p, where).map((d) => ctx.workDir(d));
    const argv = (i: number) => ['sh', '-c', instanceScript(p, dirs[i])];
    return { values: (await runParallel(ctx, where, argv, p.timeout, tool)).map((run) => flopsOf(p, run.where, run.output)) };
  });
  return jobs.map((job) => ({ ...job, workDirs: workDirsOf(p, instanceContexts(job.mode, Number(job.labels.instances), dut)) }));
}

export const linpack: Benchmark<Params> = {
  name: 'linpack',
  order: 11,
  families: [family],
  params,
  parsers: { linpack: parseLinpack, hpcc: parseLinpack },
  check: (p, dut) => [
    ...poolIssues(p.modes, p.instances, dut),
    ...(p.block_size > p.n ? [{ path: ['block_size'], message: `must be at most n (${p.n})` }] : []),
  ],
  plan,
};
