// Private working directories on the DUT, for tools that read their input from (and write their
// output to) the current directory: hpcc and HPL. A round makes them, with their files, before its
// first job and removes them after its last, so that a job runs nothing on the DUT but the shell
// and the tool: no mktemp or rm around each run.
import type { WorkDir } from '../benchmarks/job.js';
import type { DutExec } from '../remote/dut-session.js';
import { JobError } from '../remote/errors.js';
import { commandIn, onDut } from '../remote/exec-context.js';
import { shellQuote } from '../remote/shell-quote.js';

const MADE = /^@@edgebench workdir (\d+) (\/tmp\/edgebench\.[A-Za-z0-9]+)$/gm;
const TIMEOUT_MS = 30_000;

const keyOf = (d: WorkDir) =>
  `${d.where.kind === 'native' ? 'native' : `${d.where.lxcPath}\0${d.where.container}`}\0${d.slot}\0${JSON.stringify(d.files)}`;

/** The script that makes directory `k` in its context, writes its files there and prints its path. */
export function makeScript(dirs: readonly WorkDir[]): string {
  return dirs
    .map((d, k) => {
      const files = Object.entries(d.files).map(([name, text]) => `printf '%s' ${shellQuote(text)} >${shellQuote(name)}`);
      const inner = ['d=$(mktemp -d /tmp/edgebench.XXXXXX)', 'cd "$d"', ...files, `echo "@@edgebench workdir ${k} $d"`].join(' && ');
      return d.where.kind === 'native' ? `( ${inner} )` : commandIn(d.where, ['sh', '-c', inner]);
    })
    .join('\n');
}

export class RoundWorkDirs {
  private readonly wanted: WorkDir[] = [];
  private readonly paths = new Map<string, string>();
  private failure = '';

  constructor(
    private readonly dut: string,
    dirs: readonly WorkDir[],
  ) {
    const seen = new Set<string>();
    for (const d of dirs) {
      if (seen.has(keyOf(d))) continue;
      seen.add(keyOf(d));
      this.wanted.push(d);
    }
  }

  /** Makes every directory it can; the jobs of one it could not make fail with what the DUT said. */
  async make(exec: DutExec, signal: AbortSignal): Promise<void> {
    if (this.wanted.length === 0) return;
    try {
      const res = await exec(makeScript(this.wanted), { timeoutMs: TIMEOUT_MS, signal });
      for (const m of res.stdout.matchAll(MADE)) {
        const d = this.wanted[Number(m[1])];
        if (d) this.paths.set(keyOf(d), m[2] as string);
      }
      this.failure = res.stderr.trim().split('\n').at(-1) ?? '';
    } catch (err) {
      this.failure = (err as Error).message;
    }
  }

  /** The path of a directory the round made. */
  path(d: WorkDir): string {
    const path = this.paths.get(keyOf(d));
    if (path) return path;
    throw new JobError('exit_status', `no working directory on ${onDut(this.dut, d.where)}: ${this.failure || 'mktemp printed no path'}`);
  }

  /** The directories made, where and which: for a message. */
  made(): string[] {
    return this.wanted.filter((d) => this.paths.has(keyOf(d))).map((d) => `${onDut(this.dut, d.where)}:${this.path(d)}`);
  }

  /** Removes the directories made. Never throws: what it could not remove is returned. */
  async remove(exec: DutExec): Promise<string[]> {
    const made = this.wanted.filter((d) => this.paths.has(keyOf(d)));
    if (made.length === 0) return [];
    const script = ['rc=0', ...made.map((d) => `${commandIn(d.where, ['rm', '-rf', '--', this.path(d)])} || rc=1`), 'exit $rc'].join('\n');
    try {
      const res = await exec(script, { timeoutMs: TIMEOUT_MS });
      return res.exitCode === 0 ? [] : this.made();
    } catch {
      return this.made();
    }
  }
}
