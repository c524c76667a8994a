// Serves an express app (and direct routes before it) over HTTP, or HTTPS when the web config has a
// tls_server_config, with the web config's headers and basic auth in front of every route. Whatever
// the app does, answers stay plain: express's default pages (with stack traces outside production)
// never answer.
// reload() applies a re-read web config to the running server (the toolkit re-reads it on every
// request; edgebench re-reads it when told to).
// Every client is bounded (DEFAULT_LIMITS): how long it may take to say what it wants, to read the
// answer and to sit idle, how large its headers may be, and how many connections there are at once.
// Node's own defaults let a client that sends nothing hold a connection for up to 90 s (120 s if it
// never starts a TLS handshake), one that stops reading hold it for ever, and any number of them at once.
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket, Server as TlsServer } from 'node:tls';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../log.js';
import { type BasicAuth, basicAuth } from './basic-auth.js';
import type { ClientAuthType, WebConfig } from './web-config.js';

export type WebServer = Server & {
  /** Applies a re-read web config: certificates, client auth, users, headers. Switching TLS on or off needs a restart. */
  reload(web: WebConfig | undefined): void;
};

/** What one client may cost. DEFAULT_LIMITS are production's; tests pass small ones. */
export interface HttpLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  idleTimeoutMs: number;
  responseTimeoutMs: number;
  tlsHandshakeTimeoutMs: number;
  checkIntervalMs: number;
  maxConnections: number;
  maxHeaderBytes: number;
}

export const DEFAULT_LIMITS: Readonly<HttpLimits> = {
  // Prometheus sends its headers in one packet; Node's 60 s, checked every 30 s, let a silent or byte-a-second client sit 90 s.
  headersTimeoutMs: 10_000,
  // No endpoint reads more than a few bytes of body (Node: 5 minutes); Node wants it at least headersTimeoutMs.
  requestTimeoutMs: 15_000,
  // Node's default, explicit: an idle kept-alive connection holds a descriptor and a parser (Node waits 1 s more than this).
  keepAliveTimeoutMs: 5_000,
  // Nothing moved for this long mid-request or mid-answer: drops a client that stopped reading, and the body it pins (Node: never).
  idleTimeoutMs: 30_000,
  // An answer unsent after a minute, longer than any useful scrape, is dropped even if it still trickles out (Node: never).
  responseTimeoutMs: 60_000,
  // A client that never finishes its TLS handshake would hold a socket for Node's 120 s; the headers timeout starts after it.
  tlsHandshakeTimeoutMs: 10_000,
  // How often the headers, request and answer timeouts are checked: Node's 30 s would add up to 30 s to each.
  checkIntervalMs: 1_000,
  // Past it the oldest idle connection (else the longest answer) is closed, so a flood cannot lock a scraper out;
  // 256 idle TLS connections hold about 15 MB, 256 stalled readers about 65 MB (Node: no cap; its cap refuses newcomers).
  maxConnections: 256,
  // Node's default, pinned against --max-http-header-size: a larger head gets 431 and a close, not a buffer (Prometheus: < 1 KiB).
  maxHeaderBytes: 16 * 1024,
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

/** One accepted connection, as the cap and the answer deadline see it. */
interface Connection {
  tcp: Socket;
  /** What HTTP runs on: the TCP socket, or the TLS socket over it once its handshake is done. */
  http: Socket;
  /** Requests handed to the routes whose answer has not finished (more than one when pipelined). */
  answering: number;
  /** When the answer now being sent started (performance.now()). */
  since: number;
}

/**
 * At most limits.maxConnections connections: a new one past it closes the oldest idle one (nothing
 * asked, or kept alive between requests), else the one answering longest; an answer still unsent after
 * limits.responseTimeoutMs closes its connection.
 */
function boundConnections(server: Server, limits: HttpLimits, log: Logger | undefined): void {
  const open = new Map<Socket, Connection>(); // in accept order: the first idle one is the oldest
  const byHttpSocket = new WeakMap<Socket, Connection>();
  const close = (c: Connection, why: string) => {
    open.delete(c.tcp); // now: more connections may arrive before its 'close'
    c.http.destroy();
    log?.debug({ remote: c.tcp.remoteAddress, why }, 'HTTP connection closed');
  };
  const victim = (): Connection | undefined => {
    let longest: Connection | undefined;
    for (const c of open.values()) {
      if (c.answering === 0) return c;
      if (!longest || c.since < longest.since) longest = c;
    }
    return longest;
  };

  server.on('connection', (tcp: Socket) => {
    if (open.size >= limits.maxConnections) {
      const c = victim();
      if (c) close(c, `more than ${limits.maxConnections} connections`);
    }
    const c: Connection = { tcp, http: tcp, answering: 0, since: 0 };
    open.set(tcp, c);
    byHttpSocket.set(tcp, c);
    tcp.once('close', () => open.delete(tcp));
  });
  // Node says which TCP socket a TLS socket wraps only through private fields: found by its peer's address
  // (one scan of at most maxConnections per handshake, small beside the handshake itself).
  server.on('secureConnection', (tls: TLSSocket) => {
    for (const c of open.values()) {
      if (c.http === c.tcp && c.tcp.remotePort === tls.remotePort && c.tcp.remoteAddress === tls.remoteAddress) {
        c.http = tls;
        byHttpSocket.set(tls, c);
        return;
      }
    }
  });
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const c = byHttpSocket.get(req.socket);
    if (!c) return;
    if (c.answering++ === 0) c.since = performance.now();
    res.once('close', () => {
      c.answering--;
      c.since = performance.now(); // a pipelined answer after it starts now
    });
  });

  const deadlines = setInterval(() => {
    const now = performance.now();
    for (const c of open.values()) if (c.answering > 0 && now - c.since > limits.responseTimeoutMs) close(c, 'answer too slow');
  }, limits.checkIntervalMs).unref();
  server.once('close', () => clearInterval(deadlines));
}

/** Listens on host (all addresses by default) and port; resolves once listening. `limits` replace some of DEFAULT_LIMITS. */
export async function startHttpServer(
  routes: HttpRoutes,
  listen: { host?: string; port: number },
  web: WebConfig | undefined,
  log?: Logger,
  limits: Partial<HttpLimits> = {},
): Promise<WebServer> {
  const state: State = { headers: web?.headers ?? {}, clientAuth: web?.tls?.clientAuth ?? 'NoClientCert' };
  const auth = basicAuth(web?.users ?? new Map());
  const handler = front(routes, state, auth.gate, log);
  const tlsOn = web?.tls !== undefined;
  const bounds: HttpLimits = { ...DEFAULT_LIMITS, ...limits };
  const httpOptions = {
    headersTimeout: bounds.headersTimeoutMs,
    requestTimeout: bounds.requestTimeoutMs,
    keepAliveTimeout: bounds.keepAliveTimeoutMs,
    connectionsCheckingInterval: bounds.checkIntervalMs,
    maxHeaderSize: bounds.maxHeaderBytes,
  };
  const server = web?.tls
    ? createHttpsServer({ ...web.tls.options, ...httpOptions, handshakeTimeout: bounds.tlsHandshakeTimeoutMs }, handler)
    : createHttpServer(httpOptions, handler);
  server.timeout = bounds.idleTimeoutMs; // no 'timeout' listener: Node destroys the socket
  if (web?.tls) {
    server.on('secureConnection', (socket: TLSSocket) => enforceClientAuth(socket, state.clientAuth));
    server.on('tlsClientError', (err: Error) => log?.debug({ err: err.message }, 'TLS handshake failed'));
  }
  boundConnections(server, bounds, log);

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
