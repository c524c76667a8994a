// The HTTP face of the exporter: /metrics (metrics-route.ts, before express), the health endpoints
// Prometheus' own servers use, and the endpoints that change something (reload, run a round now),
// which answer 403 unless enabled, as Prometheus' --web.enable-lifecycle and --web.enable-admin-api do.
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { MetricsBody } from '../metrics/metrics-body.js';
import type { HttpRoutes } from './http-server.js';
import { isMetricsRequest, metricsRoute } from './metrics-route.js';

export interface AppOptions {
  metrics: Pick<MetricsBody, 'get' | 'contentType'>;
  isReady: () => boolean;
  log: Logger;
  /** POST /-/reload, with --web.enable-lifecycle. */
  reload?: () => Promise<{ ok: true } | { ok: false; error: string }>;
  /** POST /api/v1/admin/rounds[?dut=NAME…], with --web.enable-admin-api: the DUTs whose round started. */
  runNow?: (duts: string[] | undefined) => { started: string[]; unknown: string[] };
}

const disabled = (flag: string) => (_req: Request, res: Response) => {
  res.status(403).type('text/plain').send(`this endpoint is disabled: start edgebench serve with ${flag}\n`);
};

export function createApp({ metrics, isReady, log, reload, runNow }: AppOptions): HttpRoutes {
  const app = express();
  app.disable('x-powered-by');
  app.get('/-/healthy', (_req, res) => {
    res.type('text/plain').send('edgebench is Healthy.\n');
  });
  app.get('/-/ready', (_req, res) => {
    if (isReady()) res.type('text/plain').send('edgebench is Ready.\n');
    else res.status(503).type('text/plain').send('edgebench is not ready.\n');
  });
  app.post(
    '/-/reload',
    reload
      ? async (_req, res) => {
          const result = await reload();
          if (result.ok) res.type('text/plain').send('configuration reloaded\n');
          else res.status(500).type('text/plain').send(`reload failed, the running configuration stays: ${result.error}\n`);
        }
      : disabled('--web.enable-lifecycle'),
  );
  app.post(
    '/api/v1/admin/rounds',
    runNow
      ? (req, res) => {
          const asked = req.query.dut === undefined ? undefined : [req.query.dut].flat().map(String);
          const { started, unknown } = runNow(asked);
          if (unknown.length > 0) res.status(404).json({ status: 'error', error: `no such DUT: ${unknown.join(', ')}` });
          else res.status(202).json({ status: 'success', data: { started } });
        }
      : disabled('--web.enable-admin-api'),
  );
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
  return { app, direct: { matches: isMetricsRequest, handle: metricsRoute(metrics, log) } };
}

/** Splits "host:port", ":port" or "[v6]:port" for net.Server.listen. */
export function listenAddress(listen: string): { host: string | undefined; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
  return { host: host || undefined, port: Number(listen.slice(i + 1)) };
}
