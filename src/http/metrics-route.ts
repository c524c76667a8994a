// GET /metrics without express: at 500 DUTs and 20 scrapers in a closed loop (2,400 scrapes a
// second), the per-request objects of express's two routers were promoted by V8 faster than it
// collected them, and made 95 of the exporter's 290 MB of RSS (bench/RESULTS.md). The body is the
// same for every scraper (metrics-body.ts): this only negotiates gzip and writes it.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import accepts from 'accepts';
import type { Logger } from 'pino';
import type { MetricsBody } from '../metrics/metrics-body.js';

const METRICS_PATH = '/metrics';

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
        // written as they are (thousands of small buffers at 500 DUTs), gathered by cork into few packets
        res.cork();
        for (const chunk of chunks) res.write(chunk);
        res.uncork();
        res.end();
      },
      (err: unknown) => {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'rendering /metrics failed');
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Internal Server Error\n');
      },
    );
  };
}
