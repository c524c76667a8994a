// GET /metrics without express: at 500 DUTs and 20 scrapers in a closed loop (2,400 scrapes a
// second), the per-request objects of express's two routers were promoted by V8 faster than it
// collected them, and made 95 of the exporter's 290 MB of RSS (bench/RESULTS.md). The body is the
// same for every scraper (metrics-body.ts): this only negotiates gzip and writes it.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import accepts from 'accepts';
import type { Logger } from 'pino';
import type { MetricsBody } from '../metrics/metrics-body.js';

const METRICS_PATH = '/metrics';

/**
 * The body goes out a batch at a time, the next once the socket has taken most of the last, so that a
 * client that stops reading holds about that much. Over TLS, 64 KiB: Node encrypts a write whole, and a
 * stalled reader of a body written at once held an encrypted copy of it (7.5 MB per connection for a
 * 6.8 MB body; 0.26 MB batched). Over plain HTTP a write is referenced, not copied: 1 MiB only bounds
 * the list of chunks a stalled write holds (0.6 MB for 4,096 chunks at once, 0.16 MB batched), and the
 * gzipped body (0.5 MB at 500 DUTs) still goes out in one write.
 */
const TLS_BATCH_BYTES = 64 * 1024;
const PLAIN_BATCH_BYTES = 1024 * 1024;

/** GET or HEAD of /metrics (a query string is ignored, as Go's exporters do). */
export function isMetricsRequest(req: IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const url = req.url ?? '';
  return url === METRICS_PATH || url.startsWith(`${METRICS_PATH}?`);
}

export function metricsRoute(metrics: Pick<MetricsBody, 'get' | 'contentType'>, log: Logger): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    // Prometheus asks for gzip: 0.5 MB instead of 11 MB at 500 DUTs
    const gzipped = accepts(req).encoding('gzip', 'identity') === 'gzip';
    metrics.get({ gzipped }).then(
      (chunks) => {
        res.writeHead(200, {
          'Content-Type': metrics.contentType,
          Vary: 'Accept-Encoding',
          ...(gzipped && { 'Content-Encoding': 'gzip' }),
          'Content-Length': chunks.reduce((n, c) => n + c.length, 0),
        });
        void send(res, chunks, (req.socket as TLSSocket).encrypted ? TLS_BATCH_BYTES : PLAIN_BATCH_BYTES);
      },
      (err: unknown) => {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'rendering /metrics failed');
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Internal Server Error\n');
      },
    );
  };
}

/** Resolves once the socket has taken what was written (true) or the connection closed (false). */
function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const onDrain = () => settle(true);
    const onClose = () => settle(false);
    const settle = (drained: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(drained);
    };
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/**
 * Writes the chunks as they are (thousands of small shared buffers at 500 DUTs), each batch gathered
 * by cork into few packets; a client that goes away stops it.
 */
async function send(res: ServerResponse, chunks: readonly Buffer[], batchBytes: number): Promise<void> {
  let i = 0;
  let at = 0; // into chunks[i]
  while (i < chunks.length) {
    res.cork();
    for (let batch = 0; i < chunks.length && batch < batchBytes; ) {
      const chunk = chunks[i] as Buffer;
      const room = batchBytes - batch;
      // a view, not a copy, of a chunk larger than what is left of the batch (the gzipped body is one)
      const part = at === 0 && chunk.length <= room ? chunk : chunk.subarray(at, at + room);
      if (part.length > 0) res.write(part);
      batch += part.length;
      at += part.length;
      if (at === chunk.length) {
        i++;
        at = 0;
      }
    }
    res.uncork();
    // what the socket could not take at once waits in memory: at most about two batches of it
    if (res.writableLength >= batchBytes && !(await drained(res))) return;
  }
  res.end();
}
