// /metrics is answered before express (metrics-route.ts): what express used to do for it, it must do.
import { pino } from 'pino';
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ResultsStore } from '../../src/engine/results.js';
import { createApp } from '../../src/http/app.js';
import { MetricsBody } from '../../src/metrics/metrics-body.js';
import { request, serve, stop } from './client.js';

function app(metrics: ConstructorParameters<typeof MetricsBody>[1] | 'failing', logged: string[] = []) {
  const body =
    metrics === 'failing'
      ? { contentType: 'text/plain', get: () => Promise.reject(new Error('disk on fire')) }
      : new MetricsBody(new ResultsStore(), metrics);
  const log = pino({ level: 'info' }, { write: (line: string) => logged.push(line) });
  return createApp({ metrics: body, isReady: () => true, log });
}

function registry() {
  const r = new Registry();
  new Gauge({ name: 'edgebench_test_up', help: 'test', registers: [r] }).set(1);
  return { registry: r, state: () => '' };
}

describe('GET /metrics, before express', () => {
  it('answers GET and HEAD, with a query string too, and leaves other methods and paths to express', async () => {
    const s = await serve(undefined, app(registry()));
    try {
      for (const path of ['/metrics', '/metrics?name[]=up'])
        expect(await request(s.url(path))).toMatchObject({ status: 200, body: expect.stringContaining('edgebench_test_up 1\n') });
      expect(await request(s.url('/metrics'), { method: 'HEAD' })).toMatchObject({ status: 200, body: '' });
      for (const [path, method] of [
        ['/metrics', 'POST'],
        ['/metrics/', 'GET'],
        ['/metricsx', 'GET'],
      ] as const)
        expect(await request(s.url(path), { method })).toMatchObject({ status: 404, body: 'Not Found\n' });
      expect(await request(s.url('/-/healthy'))).toMatchObject({ status: 200, body: 'edgebench is Healthy.\n' });
    } finally {
      await stop(s);
    }
  });

  it('answers 500 plainly when the body cannot be built, and logs why', async () => {
    const logged: string[] = [];
    const s = await serve(undefined, app('failing', logged));
    try {
      const r = await request(s.url('/metrics'));
      expect({ status: r.status, type: r.headers['content-type'], body: r.body }).toEqual({
        status: 500,
        type: 'text/plain; charset=utf-8',
        body: 'Internal Server Error\n',
      });
      expect(logged.join('')).toContain('disk on fire');
    } finally {
      await stop(s);
    }
  });
});
