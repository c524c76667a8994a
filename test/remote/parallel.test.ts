import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobError } from '../../src/remote/errors.js';
import { checkedCommandIn, type ExecContext, lxc, native, onDut } from '../../src/remote/exec-context.js';
import { parallelScript, runParallel, splitParallelOutput } from '../../src/remote/parallel.js';
import { shellQuote } from '../../src/remote/shell-quote.js';
import type { ExecResult } from '../../src/remote/ssh-connection.js';
import { toolFailure } from '../../src/remote/tool-failure.js';
import { fakeContext } from '../helpers/job-context.js';

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
  return execFileSync(BUSYBOX, ['sh', '-c', parallelScript(commands)], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
}

describe('parallelScript through busybox sh', () => {
  it('reports every instance with its output and exit status, in order', () => {
    const stdout = run(['echo one', '(echo two; exit 3)', "printf 'x\\ny\\n'"]);
    // the instances end in any order; each line is whole and prefixed
    expect(stdout.split('\n').sort()).toEqual(['', '0$0', '0|one', '1$3', '1|two', '2$0', '2|x', '2|y']);
    expect(splitParallelOutput(stdout)).toEqual([
      { instance: 0, exitCode: 0, output: 'one\n' },
      { instance: 1, exitCode: 3, output: 'two\n' },
      { instance: 2, exitCode: 0, output: 'x\ny\n' },
    ]);
  });

  it('runs nothing but the shells and the commands: no mktemp, cat or rm', () => {
    const stdout = execFileSync(BUSYBOX, ['sh', '-c', parallelScript(['echo one', 'echo two'])], {
      encoding: 'utf8',
      env: { PATH: join(scratch, 'nothing-here') },
    });
    expect(splitParallelOutput(stdout).map((o) => o.output)).toEqual(['one\n', 'two\n']);
  });

  it('keeps the lines of instances that print together whole', () => {
    // 20 instances of 40 lines of 1,000 bytes each, all printing at once. The script emits an
    // instance's output a line at a time with parameter expansions, quadratic in its length under
    // busybox: 200 lines each took 26 s on a loaded 2-core machine, past the test timeout.
    const line = 'x'.repeat(1000);
    const cmd = `i=0; while [ $i -lt 40 ]; do echo ${line}; i=$((i+1)); done`;
    const parsed = splitParallelOutput(run(Array(20).fill(cmd)));
    expect(parsed).toHaveLength(20);
    for (const p of parsed) expect(p.output).toBe(`${line}\n`.repeat(40));
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
  it("gathers each instance's lines, in the order of the instances", () => {
    const text = '1|c\n0|a\n1$7\n0|\n0|b\n2$255\n0$0\n';
    expect(splitParallelOutput(text)).toEqual([
      { instance: 0, exitCode: 0, output: 'a\n\nb\n' },
      { instance: 1, exitCode: 7, output: 'c\n' },
      { instance: 2, exitCode: 255, output: '' },
    ]);
  });

  it('ignores other lines, and an instance that never reported its status', () => {
    expect(splitParallelOutput('noise\nx 0|a\n0|ok\n0$0\n1|cut short\n')).toEqual([{ instance: 0, exitCode: 0, output: 'ok\n' }]);
    expect(splitParallelOutput('')).toEqual([]);
    expect(splitParallelOutput('sh: 1: Syntax error\n')).toEqual([]);
  });
});

describe('edge cases', () => {
  it('keeps the exit status of a command that calls exit', () => {
    const parsed = splitParallelOutput(run(['echo one', 'echo two; exit 3']));
    expect(parsed[1]?.exitCode).toBe(3);
  });

  it('keeps an output without a final newline, and its status', () => {
    expect(splitParallelOutput(run(['printf abc', 'echo two']))).toEqual([
      { instance: 0, exitCode: 0, output: 'abc\n' },
      { instance: 1, exitCode: 0, output: 'two\n' },
    ]);
  });
});

/** An instance's exit status, and where it ran and its output, or its failure. */
type Outcome = { exitCode: number; where?: string; output?: string; reason?: string; message?: string };

describe.each([
  ['busybox sh', BUSYBOX, ['sh']],
  ['dash', 'dash', []],
])('runParallel with one instance, under %s', (_name, shell, shellArgs) => {
  /**
   * The DUT's exec (`sh -c COMMAND`, as markedCommand runs it), its stdin not at its end (as ssh's),
   * and on PATH an lxc-attach that runs the command here, or fails as for a stopped container.
   */
  const dutExec = (command: string): ExecResult => {
    const bin = join(scratch, 'lxc-bin');
    if (!existsSync(bin)) {
      mkdirSync(bin);
      const attach = [
        '#!/bin/sh',
        'while [ "$1" != -- ]; do [ "$1" = -n ] && n=$2; shift; done; shift',
        '[ "$n" = down ] && { echo "lxc-attach: down: attach.c: get_attach_context: 405 Failed to get init pid" >&2; exit 1; }',
        'exec "$@"',
      ];
      writeFileSync(join(bin, 'lxc-attach'), `${attach.join('\n')}\n`);
      writeFileSync(
        join(bin, 'lxc-info'),
        '#!/bin/sh\ncase " $* " in *" down "*) echo "State: STOPPED" ;; *) echo "State: RUNNING" ;; esac\n',
      );
      chmodSync(join(bin, 'lxc-attach'), 0o755);
      chmodSync(join(bin, 'lxc-info'), 0o755);
    }
    const res = spawnSync(shell, [...shellArgs, '-c', command], {
      encoding: 'utf8',
      input: 'from the ssh channel\n',
      env: { PATH: `${bin}:${process.env.PATH}` },
      timeout: 60_000,
    });
    return { stdout: res.stdout, stderr: res.stderr, exitCode: res.status ?? 255 };
  };
  const outcome = (exitCode: number, result: { where: string; output: string } | JobError): Outcome =>
    result instanceof JobError
      ? { exitCode, reason: result.reason, message: result.message, output: result.output }
      : { exitCode, ...result };
  /** One instance through runParallel: its exit status, and its output or failure. */
  const unframed = async (where: ExecContext, argv: string[], tool?: string) => {
    const results: ExecResult[] = [];
    const ctx = fakeContext(async (cmd) => results[results.push(dutExec(cmd)) - 1] as ExecResult);
    const result = await runParallel(ctx, [where], argv, 60_000, tool).then(
      ([r]) => r as { where: string; output: string },
      (err: JobError) => err,
    );
    expect(ctx.dutCommands).toHaveLength(1);
    expect(ctx.dutCommands[0]).not.toContain('mktemp');
    return outcome(results[0]?.exitCode ?? -1, result);
  };
  /** The same instance through the framed script, as runParallel ran it before. */
  const framed = (where: ExecContext, argv: string[], tool = argv[0] as string) => {
    const [instance] = splitParallelOutput(dutExec(parallelScript([checkedCommandIn(where, argv)])).stdout);
    if (!instance) throw new Error('the framed script printed no instance');
    const on = onDut('d1', where);
    return outcome(instance.exitCode, toolFailure(tool, on, instance.exitCode, instance.output) ?? { where: on, output: instance.output });
  };

  it.each([
    ['output ending in a newline', native, ['printf', 'a\nb\n']],
    ['output without a final newline', native, ['printf', 'abc']],
    ['no output', native, ['true']],
    ['stderr merged into stdout, in order', native, ['sh', '-c', 'echo out; echo err >&2; echo out2']],
    ['stdin at its end, as for a background job', native, ['sh', '-c', 'cat; echo read']],
    ['an exit status', native, ['sh', '-c', 'echo partial; exit 3']],
    ['a command in a container', lxc('/srv/lxc', 'p0'), ['sh', '-c', 'echo in p0; echo err >&2']],
    ['a failure in a container', lxc('/srv/lxc', 'p0'), ['sh', '-c', 'echo failed in p0; exit 4']],
    ['a container that is not running', lxc('/srv/lxc', 'down'), ['sysbench', 'cpu', 'run']],
  ] as [string, ExecContext, string[]][])('gives what the framed script gives: %s', async (_what, where, argv) => {
    // but for the newlines at the end, which the framed script's $() takes off and then ends each line with
    const endless = (o: Outcome) => (o.output === undefined ? o : { ...o, output: o.output.replace(/\n+$/, '') });
    const want = framed(where, argv);
    expect(endless(await unframed(where, argv))).toEqual(endless(want));
    if (argv[0] === 'printf') expect(want.output).toBe(argv[1]?.endsWith('\n') ? argv[1] : `${argv[1]}\n`);
  });

  it('names the tool given for a wrapper', async () => {
    const argv = ['sh', '-c', 'echo bad input; exit 2'];
    expect(await unframed(native, argv, 'hpcc')).toEqual(framed(native, argv, 'hpcc'));
    expect((await unframed(native, argv, 'hpcc')).message).toBe('hpcc exited with 2 on DUT d1 (native): bad input');
  });

  it('reports a failure in a running container, and a container that is not running, as such', async () => {
    expect(await unframed(lxc('/srv/lxc', 'p0'), ['sh', '-c', 'echo failed; exit 4'], 'hpcc')).toMatchObject({
      exitCode: 4,
      reason: 'exit_status',
      message: 'hpcc exited with 4 on DUT d1 (lxc container p0): failed',
    });
    expect(await unframed(lxc('/srv/lxc', 'down'), ['sysbench'])).toMatchObject({
      exitCode: 1,
      reason: 'exit_status',
      message: 'sysbench could not start on DUT d1 (lxc container down): container down is not running (State: STOPPED)',
    });
  });

  it('reports a missing tool as tool_missing, in the same words as the framed script', async () => {
    const argv = ['no-such-tool-edgebench', '--version'];
    const got = await unframed(native, argv);
    expect(got).toMatchObject({
      exitCode: 127,
      reason: 'tool_missing',
      message: expect.stringMatching(/^no-such-tool-edgebench not found on DUT d1 \(native\): .*no-such-tool-edgebench: not found$/),
    });
    // dash names the script's line: 1 here, that of the instance in the framed script
    const line = (r: Outcome) => ({ ...r, message: r.message?.replace(/: \d+: /, ': N: '), output: r.output?.replace(/: \d+: /, ': N: ') });
    expect(line(got)).toEqual(line(framed(native, argv)));
  });
});
