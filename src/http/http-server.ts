// Serves an express app (and direct routes before it) over HTTP, or HTTPS when the web config has a
// tls_server_config, with the web config's headers and basic auth in front of every route. Whatever
// the app does, answers stay plain: express's default pages (with stack traces outside production)
// never answer.
// reload() applies a re-read web config to the running server (the toolkit re-reads it on every
// request; edgebench re-reads it when told to).
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server, STATUS_CODES } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket, Server as TlsServer } from 'node:tls';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../log.js';
import { type BasicAuth, basicAuth } from './basic-auth.js';
import type { ClientAuthType, WebConfig } from './web-config.js';

export type WebServer = Server & {
  /** Applies a re-read web config: certificates, client auth, users, headers. Switching TLS on or off needs a restart. */
  reload(web: WebConfig | undefined): void;
};

interface State {
  headers: Record<string, string>;
  clientAuth: ClientAuthType;
}

/** The client-auth policies OpenSSL does not enforce by itself (Node only has requestCert and rejectUnauthorized). */
function enforceClientAuth(socket: TLSSocket, clientAuth: ClientAuthType): void {
  const hasCert = Object.keys(socket.getPeerCertificate()).length > 0;
  if (clientAuth === 'RequireAnyClientCert' && !hasCert) socket.destroy();
  if (clientAuth === 'VerifyClientCertIfGiven' && hasCert && !socket.authorized) socket.destroy();
}

/** What the server answers: an express app, and routes answered before it (see metrics-route.ts). */
export interface HttpRoutes {
  app: RequestHandler;
  /** A hot path that skips express: its per-request objects cost more than the answer. */
  direct?: { matches(req: IncomingMessage): boolean; handle: RequestListener };
}

/** The app, with plain answers for unknown paths and for whatever it throws. */
function plainApp(app: RequestHandler, log: Logger | undefined) {
  const plain = express();
  plain.disable('x-powered-by');
  plain.use(app);
  plain.use((_req, res) => {
    res.status(404).type('text/plain').send('Not Found\n');
  });
  plain.use((err: Error & { status?: number; statusCode?: number }, req: Request, res: Response, _next: NextFunction) => {
    const status = err.status ?? err.statusCode ?? 500;
    const answer = status >= 400 && status < 500 ? status : 500;
    if (answer === 500) log?.error({ err: err.message, path: req.path }, 'HTTP handler failed');
    if (res.headersSent) {
      req.socket.destroy();
      return;
    }
    res.status(answer).type('text/plain').send(`${STATUS_CODES[answer]}\n`);
  });
  return plain;
}

/** The web config's headers and basic auth in front of every route, direct or not. */
function front(routes: HttpRoutes, state: State, gate: BasicAuth['gate'], log: Logger | undefined): RequestListener {
  const app = plainApp(routes.app, log);
  return (req, res) => {
    for (const [name, value] of Object.entries(state.headers)) res.setHeader(name, value);
    gate(req, res, (err) => {
      if (err !== undefined) {
        log?.error({ err: err instanceof Error ? err.message : String(err) }, 'basic auth check failed');
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Internal Server Error\n');
      } else if (routes.direct?.matches(req)) routes.direct.handle(req, res);
      else app(req, res);
    });
  };
}

/** Listens on host (all addresses by default) and port; resolves once listening. */
export async function startHttpServer(
  routes: HttpRoutes,
  listen: { host?: string; port: number },
  web: WebConfig | undefined,
  log?: Logger,
): Promise<WebServer> {
  const state: State = { headers: web?.headers ?? {}, clientAuth: web?.tls?.clientAuth ?? 'NoClientCert' };
  const auth = basicAuth(web?.users ?? new Map());
  const handler = front(routes, state, auth.gate, log);
  const tlsOn = web?.tls !== undefined;
  const server = web?.tls ? createHttpsServer(web.tls.options, handler) : createHttpServer(handler);
  if (web?.tls) {
    server.on('secureConnection', (socket: TLSSocket) => enforceClientAuth(socket, state.clientAuth));
    server.on('tlsClientError', (err: Error) => log?.debug({ err: err.message }, 'TLS handshake failed'));
  }

  const reload = (next: WebConfig | undefined) => {
    if ((next?.tls !== undefined) !== tlsOn) throw new Error(`switching TLS ${tlsOn ? 'off' : 'on'} needs a restart`);
    if (next?.tls) {
      const tlsServer = server as unknown as TlsServer & { requestCert: boolean; rejectUnauthorized: boolean };
      tlsServer.setSecureContext(next.tls.options);
      // Not part of the secure context: Node reads them from the server for each new connection.
      tlsServer.requestCert = next.tls.options.requestCert;
      tlsServer.rejectUnauthorized = next.tls.options.rejectUnauthorized;
      state.clientAuth = next.tls.clientAuth;
    }
    state.headers = next?.headers ?? {};
    auth.setUsers(next?.users ?? new Map());
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host ?? '::', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return Object.assign(server as Server, { reload });
}
