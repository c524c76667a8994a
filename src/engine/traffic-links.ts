// Network jobs share the test machine's NIC and CPU: two jobs whose traffic leaves through the same
// TM link never overlap, whichever DUTs they measure. The link is the device the TM's own routing
// table picks for the destination (`ip route get`); when that cannot be told, all network jobs
// share one lock, which is slower but never wrong.
import { execFile } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);
const UNKNOWN_LINK = '*';

/** The TM's outgoing device towards `address`, or '*' when it cannot be told. */
export async function routeDevice(address: string): Promise<string> {
  try {
    const ip = isIP(address) ? address : (await lookup(address)).address;
    const { stdout } = await run('ip', ['-o', 'route', 'get', ip], { timeout: 5_000 });
    return /\bdev (\S+)/.exec(stdout)?.[1] ?? UNKNOWN_LINK;
  } catch {
    return UNKNOWN_LINK;
  }
}

export class TrafficLinks {
  /** Per link, the promise that settles when its last queued job has finished. */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly linkOf: (address: string) => Promise<string> = routeDevice) {}

  /** Runs `fn` once no other job crossing the same TM link is running; jobs run in arrival order. */
  async exclusive<T>(address: string, fn: (link: string) => Promise<T>): Promise<T> {
    const link = await this.linkOf(address);
    const previous = this.tails.get(link) ?? Promise.resolve();
    let release = () => {};
    const finished = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => finished);
    this.tails.set(link, tail);
    await previous;
    try {
      return await fn(link);
    } finally {
      release();
      if (this.tails.get(link) === tail) this.tails.delete(link);
    }
  }
}
