// Rounds on every DUT, DUTs in parallel, and what a configuration reload changes: a removed DUT is
// stopped and forgotten (it leaves /metrics), a changed one restarts with its results kept, a new
// one starts, and the others run on untouched.
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { Config, DutConfig } from '../config-file/schema.js';
import { DutLoop } from './dut-loop.js';
import type { ResultsStore } from './results.js';
import type { RoundJournal } from './round-journal.js';
import { TrafficLinks } from './traffic-links.js';

export interface ReloadSummary {
  added: string[];
  removed: string[];
  restarted: string[];
}

export class Scheduler {
  private readonly loops = new Map<string, DutLoop>();
  private readonly links = new TrafficLinks();

  constructor(
    private config: Config,
    private readonly store: ResultsStore,
    private readonly log: Logger,
    private readonly journal?: RoundJournal,
  ) {}

  start(): void {
    for (const dut of this.config.duts) this.add(dut);
  }

  /** A DUT's first round follows the restore of its saved state, so /metrics shows no gap. */
  private add(dut: DutConfig): void {
    if (!this.store.duts.has(dut.name)) this.journal?.restore(this.store, [dut.name]);
    const loop = new DutLoop(dut, this.config, {
      state: this.store.dut(dut.name),
      links: this.links,
      log: this.log,
      journal: this.journal,
    });
    this.loops.set(dut.name, loop);
    loop.start();
  }

  /** Applies a new configuration; rounds of changed or removed DUTs are cancelled first. */
  async reload(next: Config): Promise<ReloadSummary> {
    const everyDut =
      !isDeepStrictEqual(next.schedule, this.config.schedule) || !isDeepStrictEqual(next.repetitions, this.config.repetitions);
    const wanted = new Map(next.duts.map((d) => [d.name, d]));
    const summary: ReloadSummary = { added: [], removed: [], restarted: [] };
    const stopping: Promise<void>[] = [];
    for (const [name, loop] of this.loops) {
      const dut = wanted.get(name);
      if (dut && !everyDut && isDeepStrictEqual(dut, loop.dut)) continue;
      (dut ? summary.restarted : summary.removed).push(name);
      this.loops.delete(name);
      stopping.push(loop.stop());
    }
    await Promise.all(stopping);
    this.config = next;
    this.store.retain(new Set(wanted.keys()));
    for (const dut of next.duts) {
      if (this.loops.has(dut.name)) continue;
      if (!summary.restarted.includes(dut.name)) summary.added.push(dut.name);
      this.add(dut);
    }
    return summary;
  }

  /** Starts a round now on these DUTs (all when absent), unless one is running; returns the DUTs started. */
  runNow(names?: readonly string[]): string[] {
    const chosen = [...this.loops.values()].filter((l) => !names || names.includes(l.dut.name));
    for (const loop of chosen) void loop.runNow();
    return chosen.map((l) => l.dut.name);
  }

  has(name: string): boolean {
    return this.loops.has(name);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.loops.values()].map((l) => l.stop()));
    this.loops.clear();
  }
}
