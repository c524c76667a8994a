// The HTTP face of the exporter: /metrics, and the health endpoints Prometheus' own servers use.
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface AppOptions {
  registry: Registry;
  isReady: () => boolean;
  log: Logger;
}

export function createApp({ registry, isReady, log }: AppOptions) {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  app.get('/-/healthy', (_req, res) => {
    res.type('text/plain').send('edgebench is Healthy.\n');
  });
  app.get('/-/ready', (_req, res) => {
    if (isReady()) res.type('text/plain').send('edgebench is Ready.\n');
    else res.status(503).type('text/plain').send('edgebench is not ready.\n');
  });
  app.get('/', (_req, res) => {
    res
      .type('text/html')
      .send('<html><head><title>edgebench</title></head><body><h1>edgebench</h1><p><a href="/metrics">Metrics</a></p></body></html>\n');
  });
  // No stack traces in answers: log the error, answer plainly.
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    log.error({ err: err.message }, 'HTTP handler failed');
    res.status(500).type('text/plain').send('internal error\n');
  });
  return app;
}

/** Splits "host:port", ":port" or "[v6]:port" for net.Server.listen. */
export function listenAddress(listen: string): { host: string | undefined; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
  return { host: host || undefined, port: Number(listen.slice(i + 1)) };
}
