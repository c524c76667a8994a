// Real clients for the HTTP tests: node:http(s) with every TLS knob the tests turn, curl, and the
// servers under test (the real /metrics app, on a loopback port chosen by the kernel).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureVersion, TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { Gauge, Registry } from 'prom-client';
import { ResultsStore } from '../../src/engine/results.js';
import { createApp } from '../../src/http/app.js';
import { type HttpLimits, startHttpServer, type WebServer } from '../../src/http/http-server.js';
import type { WebConfig } from '../../src/http/web-config.js';
import { MetricsBody } from '../../src/metrics/metrics-body.js';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** TLSv1.2, TLSv1.3; null over plain HTTP. */
  protocol: string | null;
  /** SHA-256 fingerprint of the server's certificate. */
  serverCert: string | undefined;
  /** OpenSSL's names of the cipher suite and the key exchange curve. */
  cipher: string | undefined;
  curve: string | undefined;
}

export interface ClientOptions {
  ca?: string;
  cert?: string;
  key?: string;
  /** user:password */
  auth?: string;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One request on a fresh connection (no agent: no reused sockets or TLS sessions between cases). */
export function request(url: string, o: ClientOptions = {}): Promise<Answer> {
  const file = (f: string | undefined) => (f ? readFileSync(f) : undefined);
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        agent: false,
        method: o.method ?? 'GET',
        headers: o.headers,
        auth: o.auth,
        ca: file(o.ca),
        cert: file(o.cert),
        key: file(o.key),
        minVersion: o.minVersion,
        maxVersion: o.maxVersion,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => {
          const socket = res.socket as TLSSocket;
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            protocol: socket.getProtocol?.() ?? null,
            serverCert: socket.getPeerCertificate?.().fingerprint256,
            cipher: socket.getCipher?.().name,
            curve: (socket.getEphemeralKeyInfo?.() as { name?: string } | null)?.name,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** curl's status code and body; fails with what to install when curl is missing. Async: the server runs in this process. */
export function curl(args: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '-w', '\n%{http_code}', ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
        reject(new Error("curl is not installed: this test needs Debian's curl package"));
        return;
      }
      const i = stdout.lastIndexOf('\n');
      if (err)
        reject(new Error(`curl failed: ${stderr}`)); // not for 401: curl exits 0 without --fail
      else resolve({ status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) });
    });
  });
}

/** The real app of `edgebench serve`, with no DUT and one gauge in its registry. */
export function metricsApp() {
  const registry = new Registry();
  new Gauge({ name: 'edgebench_test_up', help: 'test', registers: [registry] }).set(1);
  return createApp({
    metrics: new MetricsBody(new ResultsStore(), { registry, state: () => '' }),
    isReady: () => true,
    log: pino({ level: 'silent' }),
  });
}

export interface Running {
  server: WebServer;
  url: (path: string) => string;
}

export async function serve(web: WebConfig | undefined, app: Parameters<typeof startHttpServer>[0] = metricsApp(), log?: pino.Logger) {
  const server = await startHttpServer(app, { host: '127.0.0.1', port: 0 }, web, log);
  const { port } = server.address() as AddressInfo;
  const base = `${web?.tls ? 'https' : 'http'}://127.0.0.1:${port}`; // an IP address of the server certificate
  return { server, url: (path: string) => `${base}${path}` } satisfies Running;
}

/** serve() with some of the server's limits replaced: small ones, where waiting for production's would be too slow. */
export async function serveLimited(web: WebConfig | undefined, app: Parameters<typeof startHttpServer>[0], limits: Partial<HttpLimits>) {
  const server = await startHttpServer(app, { host: '127.0.0.1', port: 0 }, web, undefined, limits);
  const { port } = server.address() as AddressInfo;
  const base = `${web?.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return { server, url: (path: string) => `${base}${path}` } satisfies Running;
}

export function stop(running: Running | undefined): Promise<void> {
  if (!running) return Promise.resolve();
  running.server.closeAllConnections();
  return new Promise((resolve) => running.server.close(() => resolve()));
}
