// `edgebench serve` as a child process: its JSON log, /metrics parsed into samples.
import { parseExposition, type Sample } from '../../harness/exposition.js';
import { cli } from '../../harness/repo.js';
import { type Background, background, jobLogs, until } from './exec.js';

export class Serve {
  readonly proc: Background;

  constructor(
    config: string,
    readonly port: number,
    extraArgs: string[] = [],
  ) {
    this.proc = background([process.execPath, ...extraArgs, cli, 'serve', '-c', config]);
  }

  get pid(): number {
    return this.proc.child.pid as number;
  }

  async metrics(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.port}/metrics`);
    return res.text();
  }

  async samples(): Promise<Sample[]> {
    return parseExposition(await this.metrics());
  }

  /** Waits until `duts` DUTs have completed a round since `since` (epoch ms): a restored state does not count. */
  async roundsDone(duts: number, timeoutMs: number, since = 0): Promise<Sample[]> {
    let last: Sample[] = [];
    await until(
      `${duts} completed round(s)`,
      timeoutMs,
      async () => {
        if (this.proc.child.exitCode !== null) throw new Error(`edgebench serve exited:\n${this.proc.stderr().slice(-3000)}`);
        last = await this.samples().catch(() => []);
        const done = last.filter((s) => s.name === 'edgebench_round_last_completion_timestamp_seconds' && s.value * 1000 >= since);
        return done.length >= duts;
      },
      1000,
    );
    return last;
  }

  /**
   * Waits until each of `duts` DUTs has either completed a round since `since` (epoch ms) or failed
   * to connect (edgebench_dut_up 0: its round is skipped until the next tick); returns the errors of
   * those that failed, from the log.
   */
  async firstRounds(duts: number, timeoutMs: number, since: number): Promise<string[]> {
    await until(
      `${duts} first round(s)`,
      timeoutMs,
      async () => {
        if (this.proc.child.exitCode !== null) throw new Error(`edgebench serve exited:\n${this.proc.stderr().slice(-3000)}`);
        const all = await this.samples().catch(() => []);
        const done = new Set<string>();
        for (const s of all) {
          const finished = s.name === 'edgebench_round_last_completion_timestamp_seconds' && s.value * 1000 >= since;
          if (finished || (s.name === 'edgebench_dut_up' && s.value === 0)) done.add(s.labels.dut ?? '');
        }
        return done.size >= duts;
      },
      1000,
    );
    return this.proc
      .stderr()
      .split('\n')
      .filter((l) => l.includes('round skipped'))
      .map((l) => {
        const r = JSON.parse(l) as { dut?: string; err?: string };
        return `${r.dut}: ${r.err}`;
      });
  }

  jobs() {
    return jobLogs(this.proc.stderr());
  }

  async stop(): Promise<void> {
    await this.proc.stop('SIGTERM');
  }
}
