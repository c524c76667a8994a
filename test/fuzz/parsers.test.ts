// Issue 15, item 3: no captured output, however mangled, makes a parser throw anything but an Error
// naming its tool, return a number that is not finite and >= 0, or hang. Each parser gets a fixed
// seed: a failure prints the case's own seed and its mutations, and fuzzCase(corpus, seed) replays it.
import { describe, expect, it } from 'vitest';
import { describeCase, fuzzCase, hugeLineCase, mulberry32, nextSeed, numberSweep } from './mutate.js';
import { fileWorker } from './parse-worker.js';
import { PARSERS, runHere, violation } from './parsers.js';

const ITERATIONS = 3000;
const HUGE_LINE = 10 * 1024 * 1024;
const HUGE_CASES = 3;
/** Above this size a capture is cut every STRIDE bytes rather than at each byte (hpcc's are 18 KB). */
const EVERY_BYTE_UP_TO = 4096;
const STRIDE = 7; // keep in step with the test name

const worker = fileWorker();

const report = (problems: string[]) => `${problems.length} violation(s):\n${problems.slice(0, 5).join('\n')}`;

describe.each(PARSERS)('$name', (spec) => {
  it('keeps the contract on each capture cut at every offset (every 7th beyond 4 KB)', () => {
    const problems: string[] = [];
    for (const c of spec.corpus.captures) {
      const step = c.text.length <= EVERY_BYTE_UP_TO ? 1 : STRIDE;
      for (let at = c.text.length; at >= 0; at -= step) {
        const v = violation(spec, runHere(spec, c.text.slice(0, at)));
        if (v) problems.push(`${c.name} cut at ${at}: ${v}`);
      }
    }
    expect(problems.length, report(problems)).toBe(0);
  });

  it('keeps the contract with each number of each capture replaced by each odd form (1e400, -x, nan, 12,5, ١٢…)', () => {
    const problems: string[] = [];
    for (const c of spec.corpus.captures) {
      for (const k of numberSweep(c, c.text.length <= EVERY_BYTE_UP_TO ? 1 : STRIDE)) {
        const v = violation(spec, runHere(spec, k.text));
        if (v) problems.push(`${k.what}: ${v}`);
      }
    }
    expect(problems.length, report(problems)).toBe(0);
  });

  it(`keeps the contract on ${ITERATIONS} seeded mutations (seed 0x${spec.seed.toString(16)})`, () => {
    const seeds = mulberry32(spec.seed);
    const problems: string[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const k = fuzzCase(spec.corpus, nextSeed(seeds));
      const v = violation(spec, runHere(spec, k.text));
      if (v) problems.push(`${describeCase(k)}: ${v}`);
    }
    expect(problems.length, report(problems)).toBe(0);
  });

  it(`keeps the contract with ${HUGE_CASES} lines of 10 MB inserted (in a worker, so a hang fails by vitest's timeout)`, async () => {
    const seeds = mulberry32(spec.seed ^ 0x10_0000);
    const problems: string[] = [];
    for (let i = 0; i < HUGE_CASES; i++) {
      const k = hugeLineCase(spec.corpus, nextSeed(seeds), HUGE_LINE);
      const v = violation(spec, await worker.run(spec.module, spec.fn, k.text));
      if (v) problems.push(`${describeCase(k, `hugeLineCase(corpus, 0x${k.seed.toString(16)}, ${HUGE_LINE})`)}: ${v}`);
    }
    expect(problems.length, report(problems)).toBe(0);
  });
});
