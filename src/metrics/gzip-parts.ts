// gzip of a body kept as many small buffers (each DUT's lines of each family: 30,000 at 500 DUTs),
// without joining them first. They are copied into one reused batch buffer and deflated batch by
// batch on libuv's thread pool, so no second copy of the whole body exists (it was 14 MB at 500
// DUTs) and the event loop serves scrapes between batches.
import { once } from 'node:events';
import { createGzip, type Gzip, constants as zlib } from 'node:zlib';

export const GZIP_BATCH_BYTES = 256 * 1024;

/** Resolves once zlib has consumed all of chunk: only then may its memory be written again. */
const write = (gz: Gzip, chunk: Buffer) =>
  new Promise<void>((resolve, reject) => gz.write(chunk, (err) => (err ? reject(err) : resolve())));

/** `batch` is overwritten; pass one buffer per concurrent call. */
export async function gzipParts(parts: readonly Buffer[], batch: Buffer = Buffer.allocUnsafe(GZIP_BATCH_BYTES)): Promise<Buffer> {
  const gz = createGzip({ level: zlib.Z_BEST_SPEED, chunkSize: 64 * 1024 });
  const out: Buffer[] = [];
  gz.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = once(gz, 'end');
  ended.catch(() => {}); // a failed write rejects first; this one is awaited only after the last
  let used = 0;
  const flush = async () => {
    if (used > 0) await write(gz, batch.subarray(0, used));
    used = 0;
  };
  for (const part of parts) {
    if (used + part.length > batch.length) await flush();
    if (part.length > batch.length) await write(gz, part);
    else used += part.copy(batch, used);
  }
  await flush();
  gz.end();
  await ended;
  return Buffer.concat(out);
}
