// Issue 15, item 3: a 10 MB input parses in linear time.
//
// Asserted with inputs built to make a backtracking regex blow up, not with a timing ratio: each regex
// of the parsers was reviewed for quantifiers that can share a stretch of text ("^\s*" under /m over
// blank lines, "\S+$", "(\w+)=", ".*\.{3,}", "\s*(.*?)\s*"), and each such shape gets a 10 MB run with
// no terminator here. On those, a quadratic regex needs hours (cubic: longer) and a linear parser well
// under a few seconds, so vitest's own test timeout tells them apart by three orders of magnitude with no
// threshold of ours; a ratio of timings on a loaded 2-core machine would be at the mercy of GC and the
// other test files. Each parse runs in a worker (parse-worker.ts) so that the timeout can stop it.
import { describe, expect, it } from 'vitest';
import { captures } from './mutate.js';
import { fileWorker } from './parse-worker.js';
import { PARSERS, type ParserSpec, runHere, violation } from './parsers.js';

const N = 10 * 1024 * 1024;
const run = (unit: string) => unit.repeat(Math.ceil(N / unit.length));
const capture = (dir: string, file: string) => captures(dir, (f) => f === file)[0]?.text ?? '';
const spec = (name: string) => PARSERS.find((p) => p.name === name) as ParserSpec;

const sysbench = capture('sysbench', 'sysbench-1.0.20-cpu-native.txt');
const xhpl = capture('linpack', 'xhpl-2.1-third-party-asc-report.txt');
const xhplUpToRow = xhpl.slice(0, xhpl.indexOf('\n', xhpl.search(/^W[RC]/m)) + 1);
const banner = capture('netperf', 'netperf-2.7.0-tcp-rr-v0.txt').split('\n')[0] as string;

/** [parser, what the input is, the input]: each a test of its own, so a timeout names its shape. */
const TARGETED: [string, string, () => string][] = [
  ['parseSysbench', 'blank lines before the result (^\\s* under /m)', () => run('\n') + sysbench],
  ['parseSysbench', '"total time:" then spaces and no number', () => `    total time:${run(' ')}`],
  ['parseSysbench', '"events per second:" then digits and dots', () => `${sysbench}    events per second: ${run('1.')}`],
  ['parseLinpack', 'an HPL row, then a residual check of dots with no PASSED', () => `${xhplUpToRow}||Ax-b||_oo/(eps)=${run('.')}`],
  [
    'parseLinpack',
    'an HPL ERROR line ending in spaces',
    () => `HPL ERROR from process # 0, on line 352 of function HPL_pdinfo:${run(' ')}`,
  ],
  [
    'parseLinpack',
    'an HPL ERROR line, then ">>>" and spaces',
    () => `HPL ERROR from process # 0, on line 1 of function HPL_pdinfo:\n>>>${run(' ')}`,
  ],
  ['parseLinpack', 'HPL output of blank lines ("tests skipped" under ^\\s*)', () => `HPLinpack 2.1\n${run('\n')}`],
  ['parseLinpack', 'netlib linpackc output of blank lines', () => `times are reported for matrices of order 100\n${run('\n')}`],
  ['parseLinpack', "Menninger's linpack output of blank lines", () => `LINPACK benchmark, Double precision.\n${run('\n')}`],
  ['parseNuttcp', 'a long word at the end, cut (\\S+$)', () => `${run('x')} y`],
  ['parseNuttcp', 'a long word without "=" ((\\w+)=)', () => `${run('a')}\n`],
  ['parseNuttcp', 'a summary line cut in its spaces', () => `1.0 MB /${run(' ')}`],
  ['parseNetperf', 'a table row whose rate never ends', () => `16384  131072 100      200     3.00     ${run('1')}`],
  ['parseNetperf', 'a banner that never says TEST', () => `MIGRATED TCP ${run('x ')}`],
  ['parseNetperf', '-O titles over a value line of many columns', () => `${banner}\na\nb\nc\nd\n${run('1 ')}\n`],
  ['parseNetperf', '-o titles of commas', () => `${banner}\n${run(',')}\n${run(',')}\n`],
  ['parseNetperf', 'a -P 0 row of values', () => `${run('1 ')}\n`],
  ['parseIperf3', 'a JSON object of spaces', () => `{${run(' ')}`],
  ['parseIperf3', 'nested arrays', () => run('[')],
  ['parseStream', 'a STREAM line with a number and no unit', () => `STREAM copy latency: ${run('1')}`],
  ['parseStream', 'a usage line that never names stream', () => `Usage: ${run('a ')}`],
  ['parseCacheSizes', 'a size of ten million digits', () => `${run('1')}\n`],
  ['parseCacheSizes', '"cache size" then spaces and no colon', () => `cache size${run(' ')}`],
  ['parsePerfStat', 'a table line of digits', () => `Performance counter stats for 'system wide':\n${run('1')} `],
  ['parsePerfStat', 'a CSV line of counts', () => run('1,')],
  ['parsePerfStat', '"Error:" then blank lines', () => `Error:${run('\n')}`],
];

// Every parser also gets its first capture that parses followed by a 10 MB run of each character class its regexes repeat.
const RUNS = [' ', '\n', '1', '.', 'a', '1 '];
const GENERIC: [string, string, () => string][] = PARSERS.flatMap((p) =>
  RUNS.map((unit): [string, string, () => string] => [
    p.name,
    `a capture, then ${JSON.stringify(unit)} x ${Math.ceil(N / unit.length)}`,
    () => `${p.corpus.captures.find((c) => runHere(p, c.text).ok)?.text ?? ''}${run(unit)}`,
  ]),
);

const worker = fileWorker();

describe('each parser reads 10 MB built to make a regex backtrack, within the test timeout', () => {
  it.each([...TARGETED, ...GENERIC])('%s: %s', async (name, _, input) => {
    const p = spec(name);
    const outcome = await worker.run(p.module, p.fn, input());
    expect(violation(p, outcome)).toBeUndefined();
  });
});
