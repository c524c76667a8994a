// HTTP basic authentication against the web config's basic_auth_users (bcrypt hashes), as every
// Prometheus exporter does it. bcrypt is slow on purpose (cost 10: about 70 ms of CPU), so a
// successful check is remembered, as in the toolkit, and concurrent identical checks share one
// computation: 50 scrapers with the right password cost one bcrypt. Failures are never remembered.
// Nothing here logs: neither passwords nor Authorization headers must reach a log.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import bcrypt from 'bcryptjs';

/** An unknown user is checked against this, so it costs as much as a wrong password (no user enumeration by timing). */
const decoyHash = '$2b$10$SefyHtpB2YW2Xp6OZeW1SuMZFweNBTZiazSzEiwhqL0G1Jjhgq1cG';
const maxRemembered = 1000;

export interface BasicAuth {
  /** Calls next() for a request with valid credentials (or when there are no users), answers 401 otherwise. */
  gate: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
  /** Swaps the users (web config reloaded); forgets every remembered success. */
  setUsers(users: ReadonlyMap<string, string>): void;
}

/** user and password of an `Authorization: Basic …` header, as Go's Request.BasicAuth reads it. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^basic +([A-Za-z0-9+/]+={0,2})$/i.exec(header?.trim() ?? '');
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function deny(res: ServerResponse): void {
  res.writeHead(401, { 'WWW-Authenticate': 'Basic', 'Content-Type': 'text/plain; charset=utf-8' }).end('Unauthorized\n');
}

export function basicAuth(initial: ReadonlyMap<string, string>): BasicAuth {
  let users = initial;
  // SHA-256 digests of (user, password, hash) that bcrypt accepted: the password itself is never kept,
  // and looking a digest up tells nothing about the password.
  const verified = new Set<string>();
  const pending = new Map<string, Promise<boolean>>();

  const check = (user: string, password: string, hash: string): Promise<boolean> => {
    const key = createHash('sha256')
      .update(JSON.stringify([user, password, hash]))
      .digest('hex');
    if (verified.has(key)) return Promise.resolve(true);
    let p = pending.get(key);
    if (!p) {
      // bcryptjs compares the computed hash in constant time.
      p = bcrypt.compare(password, hash).then(
        (ok) => {
          pending.delete(key);
          if (ok) {
            if (verified.size >= maxRemembered) verified.delete(verified.values().next().value as string);
            verified.add(key);
          }
          return ok;
        },
        () => {
          pending.delete(key);
          return false;
        },
      );
      pending.set(key, p);
    }
    return p;
  };

  return {
    gate(req, res, next) {
      if (users.size === 0) return next();
      const credentials = parseBasicAuth(req.headers.authorization);
      if (!credentials) return deny(res);
      const { user, password } = credentials;
      const hash = users.get(user);
      // bcrypt reads 72 bytes at most: a longer password would be accepted on its first 72.
      if (bcrypt.truncates(password)) return deny(res);
      check(user, password, hash ?? decoyHash).then((ok) => (ok && hash !== undefined ? next() : deny(res)), next);
    },
    setUsers(next) {
      users = next;
      verified.clear();
    },
  };
}
