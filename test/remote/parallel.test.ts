import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parallelScript, splitParallelOutput } from '../../src/remote/parallel.js';
import { shellQuote } from '../../src/remote/shell-quote.js';

const BUSYBOX = '/bin/busybox';

let scratch: string;

beforeAll(() => {
  if (!existsSync(BUSYBOX)) {
    throw new Error(`${BUSYBOX} is missing: the parallel script is run by a real busybox sh (apt-get install busybox)`);
  }
  scratch = mkdtempSync(join(tmpdir(), 'edgebench-parallel-test-'));
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs the script as the DUT would: `busybox sh -c`. */
function run(commands: readonly string[]): string {
  return execFileSync(BUSYBOX, ['sh', '-c', parallelScript(commands)], { encoding: 'utf8', timeout: 60_000 });
}

const edgebenchTmpDirs = () => new Set(readdirSync('/tmp').filter((name) => name.startsWith('edgebench.')));

describe('parallelScript through busybox sh', () => {
  it('reports every instance with its output and exit status, in order', () => {
    const stdout = run(['echo one', '(echo two; exit 3)', "printf 'x\\ny\\n'"]);
    expect(stdout).toBe(
      [
        '@@edgebench instance 0 exit 0@@',
        'one',
        '', // the newline the script adds after every output
        '@@edgebench instance 1 exit 3@@',
        'two',
        '',
        '@@edgebench instance 2 exit 0@@',
        'x',
        'y',
        '',
        '',
      ].join('\n'),
    );
    const parsed = splitParallelOutput(stdout);
    expect(parsed.map(({ instance, exitCode }) => ({ instance, exitCode }))).toEqual([
      { instance: 0, exitCode: 0 },
      { instance: 1, exitCode: 3 },
      { instance: 2, exitCode: 0 },
    ]);
    expect(parsed[0]?.output).toBe('one\n');
    expect(parsed[1]?.output).toBe('two\n');
    expect(parsed[2]?.output).toBe('x\ny\n');
  });

  it('captures stderr with stdout, and the exit status of a failing command', () => {
    const parsed = splitParallelOutput(run(['echo out; echo err >&2; false', 'no-such-command-edgebench']));
    expect(parsed).toHaveLength(2);
    expect(parsed[0]?.exitCode).toBe(1);
    expect(parsed[0]?.output).toMatch(/^(out\nerr\n|err\nout\n)/);
    expect(parsed[1]?.exitCode).toBe(127);
    expect(parsed[1]?.output).toMatch(/not found/);
  });

  it('runs a single command', () => {
    const parsed = splitParallelOutput(run(['echo solo']));
    expect(parsed).toHaveLength(1);
    expect(parsed[0]).toMatchObject({ instance: 0, exitCode: 0 });
    expect(parsed[0]?.output).toMatch(/^solo\n/);
  });

  it('keeps the commands apart: quoting and variables of one do not leak into another', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
    const second = 'printf "%s\\n" "${v:-unset}"';
    const parsed = splitParallelOutput(run([`v=a; printf '%s\\n' "$v" ${shellQuote("it's; $(x)")}`, second]));
    expect(parsed[0]?.output).toBe("a\nit's; $(x)\n");
    expect(parsed[1]?.output).toMatch(/^unset\n/);
  });

  // Other test files may run scripts of their own meanwhile: look for this run's directory by name, not at the whole of /tmp.
  it.each([
    ['succeeds', 'true'],
    ['fails', 'exit 1'],
  ])('removes its temporary directory under /tmp when an instance %s', (_what, last) => {
    const before = edgebenchTmpDirs();
    const parsed = splitParallelOutput(run(['echo "$d"; [ -d "$d" ] && echo exists', last]));
    expect(parsed).toHaveLength(2);
    const tmp = parsed[0]?.output.split('\n')[0] ?? '';
    expect(tmp).toMatch(/^\/tmp\/edgebench\.[A-Za-z0-9]{6}$/);
    expect(parsed[0]?.output).toBe(`${tmp}\nexists\n`);
    expect(before.has(basename(tmp))).toBe(false);
    expect(edgebenchTmpDirs().has(basename(tmp))).toBe(false);
    expect(existsSync(tmp)).toBe(false);
  });

  it('runs the instances concurrently', () => {
    // Each instance announces itself, then waits (bounded) until all three have: run one after the other,
    // instance 0 would give up after its 200 polls and report "alone".
    const dir = mkdtempSync(join(scratch, 'rendezvous-'));
    const q = shellQuote(dir);
    const instance = (i: number) =>
      `touch ${q}/started.${i}; n=0; ` +
      `while { [ ! -e ${q}/started.0 ] || [ ! -e ${q}/started.1 ] || [ ! -e ${q}/started.2 ]; } && [ $n -lt 200 ]; ` +
      `do sleep 0.1; n=$((n+1)); done; ` +
      `if [ -e ${q}/started.0 ] && [ -e ${q}/started.1 ] && [ -e ${q}/started.2 ]; then echo together; else echo alone; fi`;
    const parsed = splitParallelOutput(run([instance(0), instance(1), instance(2)]));
    expect(parsed.map((p) => p.exitCode)).toEqual([0, 0, 0]);
    expect(parsed.map((p) => p.output.trim())).toEqual(['together', 'together', 'together']);
  }, 120_000);
});

describe('splitParallelOutput', () => {
  it('parses framed output', () => {
    const text = '@@edgebench instance 0 exit 0@@\na\nb\n\n@@edgebench instance 1 exit 255@@\n\n@@edgebench instance 2 exit 7@@\nc\n\n';
    const parsed = splitParallelOutput(text);
    expect(parsed.map(({ instance, exitCode }) => [instance, exitCode])).toEqual([
      [0, 0],
      [1, 255],
      [2, 7],
    ]);
    expect(parsed[0]?.output).toBe('a\nb\n');
    expect(parsed[1]?.output).toBe('');
    expect(parsed[2]?.output).toBe('c\n');
  });

  it('ignores text before the first frame', () => {
    expect(splitParallelOutput('noise\n@@edgebench instance 0 exit 0@@\nok\n\n')[0]?.output).toBe('ok\n');
  });

  it('returns nothing for unframed text', () => {
    expect(splitParallelOutput('')).toEqual([]);
    expect(splitParallelOutput('sh: mktemp: not found\n')).toEqual([]);
  });

  it('does not take a frame that is not on a line of its own', () => {
    expect(splitParallelOutput('x @@edgebench instance 0 exit 0@@\n')).toEqual([]);
  });
});

describe('edge cases', () => {
  // The text after the last frame ends with "\n"; split('\n') yields a final '' which is appended as another line.
  it('gives the last instance its output without an extra newline', () => {
    const parsed = splitParallelOutput(run(['echo one', "printf 'x\\ny\\n'"]));
    expect(parsed[1]?.output).toBe('x\ny\n');
  });

  // The status is written by `echo $? >"$d/i.rc"` after the command, inside the same subshell: a command
  // that calls `exit` (or `exec`) never reaches it, and the instance is reported with 255.
  it('keeps the exit status of a command that calls exit', () => {
    const parsed = splitParallelOutput(run(['echo one', 'echo two; exit 3']));
    expect(parsed[1]?.exitCode).toBe(3);
  });

  // `cat "$d/$i"` of an output without a final newline glues the next frame to its last line, so the next
  // instance disappears and the count no longer matches (sysbench.ts then reports an exit_status failure).
  it('keeps instances apart when an output has no final newline', () => {
    const parsed = splitParallelOutput(run(['printf abc', 'echo two']));
    expect(parsed).toHaveLength(2);
  });
});
