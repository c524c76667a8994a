// Serves an express app over HTTP, or HTTPS when the web config has a tls_server_config, with the
// web config's headers and basic auth in front of every route. Whatever the app does, answers stay
// plain: express's default pages (with stack traces outside production) never answer.
// reload() applies a re-read web config to the running server (the toolkit re-reads it on every
// request; edgebench re-reads it when told to).
import { createServer as createHttpServer, type Server, STATUS_CODES } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket, Server as TlsServer } from 'node:tls';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../log.js';
import { basicAuth } from './basic-auth.js';
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

function frontApp(app: RequestHandler, state: State, auth: RequestHandler, log: Logger | undefined) {
  const front = express();
  front.disable('x-powered-by');
  front.use((_req, res, next) => {
    res.set(state.headers);
    next();
  });
  front.use(auth);
  front.use(app);
  front.use((_req, res) => {
    res.status(404).type('text/plain').send('Not Found\n');
  });
  front.use((err: Error & { status?: number; statusCode?: number }, req: Request, res: Response, _next: NextFunction) => {
    const status = err.status ?? err.statusCode ?? 500;
    const answer = status >= 400 && status < 500 ? status : 500;
    if (answer === 500) log?.error({ err: err.message, path: req.path }, 'HTTP handler failed');
    if (res.headersSent) {
      req.socket.destroy();
      return;
    }
    res.status(answer).type('text/plain').send(`${STATUS_CODES[answer]}\n`);
  });
  return front;
}

/** Listens on host (all addresses by default) and port; resolves once listening. */
export async function startHttpServer(
  app: RequestHandler,
  listen: { host?: string; port: number },
  web: WebConfig | undefined,
  log?: Logger,
): Promise<WebServer> {
  const state: State = { headers: web?.headers ?? {}, clientAuth: web?.tls?.clientAuth ?? 'NoClientCert' };
  const auth = basicAuth(web?.users ?? new Map());
  const handler = frontApp(app, state, auth.middleware, log);
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
