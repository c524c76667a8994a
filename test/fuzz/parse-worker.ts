// Runs a parser from dist/ (built by the test run's global setup) in a worker thread. A regex that
// backtracks runs synchronously and never yields: in the test's own thread it would block vitest's
// timeout too. In a worker the test only awaits a message, so vitest's timeout ends the test, and
// terminate() stops the backtracking (V8 interrupts a running regex).
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach } from 'vitest';

export type Outcome = { ok: true; result: unknown } | { ok: false; kind: string; message: string };

const DIST = new URL('../../dist/', import.meta.url);

// CommonJS (eval'd workers are scripts); import() loads the ES modules of dist/.
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
parentPort.on('message', async ({ id, module, fn, text }) => {
  const [mod, errors] = await Promise.all([import(workerData.dist + module), import(workerData.dist + 'remote/errors.js')]);
  let reply;
  try {
    reply = { id, ok: true, result: mod[fn](text) };
  } catch (err) {
    const kind = err instanceof errors.ToolReportedError ? 'ToolReportedError'
      : err !== null && typeof err === 'object' && Object.getPrototypeOf(err) === Error.prototype ? 'Error'
      : String(err && err.constructor && err.constructor.name || typeof err);
    reply = { id, ok: false, kind, message: String(err && err.message) };
  }
  parentPort.postMessage(reply);
});
`;

export class ParseWorker {
  private readonly worker = new Worker(SOURCE, { eval: true, workerData: { dist: DIST.href } });
  private readonly pending = new Map<number, { resolve: (o: Outcome) => void; reject: (e: Error) => void }>();
  private next = 0;

  constructor() {
    this.worker.on('message', (m: Outcome & { id: number }) => {
      this.pending.get(m.id)?.resolve(m);
      this.pending.delete(m.id);
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', () => this.failAll(new Error('parse worker ended')));
  }

  /** True while a parse has not answered: after a timed-out test, the worker is still backtracking. */
  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** `fn` of dist/<module> (e.g. 'benchmarks/sysbench.js', 'parseSysbench') applied to `text`. */
  run(module: string, fn: string, text: string): Promise<Outcome> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, module, fn, text });
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/**
 * A worker for one test file: a test that timed out leaves its parse running, so the next test
 * gets a fresh worker; the last is ended after the file.
 */
export function fileWorker(): { run: ParseWorker['run'] } {
  let worker = new ParseWorker();
  afterEach(async () => {
    if (worker.busy) {
      await worker.terminate();
      worker = new ParseWorker();
    }
  });
  afterAll(() => worker.terminate());
  return { run: (...args) => worker.run(...args) };
}
