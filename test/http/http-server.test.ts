// edgebench's HTTP server secured by a web config, against real clients: node:https and curl
// trusting a CA made by openssl at test time, plain HTTP on the TLS port, client certificates for
// every client_auth_type, TLS versions, reloads, and answers that never carry a stack trace.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadWebConfig, type WebConfig } from '../../src/http/web-config.js';
import { type ClientOptions, curl, type Running, request, serve, stop } from './client.js';
import { makePki, type Pki } from './pki.js';

const dir = mkdtempSync(join(tmpdir(), 'edgebench-https-'));
let pki: Pki;
let aliceHash: string;
let bobHash: string;
const alice = 'alice:alice-secret';
const bob = 'bob:bob-secret';
const headers = { 'X-Frame-Options': 'deny', 'X-Content-Type-Options': 'nosniff', 'Strict-Transport-Security': 'max-age=31536000' };

let n = 0;
/** A web config file written from `content`, read by the real loader. */
function webConfig(content: object): WebConfig {
  const file = join(dir, `web-${++n}.yml`);
  writeFileSync(file, stringify(content));
  return loadWebConfig(file);
}
const tls = (extra: object = {}) => ({ cert_file: pki.serverCert, key_file: pki.serverKey, ...extra });

beforeAll(() => {
  pki = makePki(dir);
  aliceHash = bcrypt.hashSync('alice-secret', 10); // the toolkit's documented cost
  bobHash = bcrypt.hashSync('bob-secret', 10);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('HTTPS with basic auth', () => {
  let s: Running;
  beforeAll(async () => {
    s = await serve(
      webConfig({ tls_server_config: tls(), http_server_config: { headers }, basic_auth_users: { alice: aliceHash, bob: bobHash } }),
    );
  });
  afterAll(() => stop(s));
  const trusting = (o: ClientOptions = {}) => ({ ca: pki.ca, ...o });

  it('answers /metrics to a client that trusts the CA and gives the right password', async () => {
    const r = await request(s.url('/metrics'), trusting({ auth: alice }));
    expect(r).toMatchObject({ status: 200, protocol: 'TLSv1.3' });
    expect(r.body).toContain('edgebench_test_up 1');
  });

  it('answers 401 with WWW-Authenticate: Basic and a plain body to a wrong password', async () => {
    const r = await request(s.url('/metrics'), trusting({ auth: 'alice:bob-secret' }));
    expect(r).toMatchObject({ status: 401, body: 'Unauthorized\n' });
    expect(r.headers['www-authenticate']).toBe('Basic');
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('answers 401 with WWW-Authenticate: Basic without a password, on every path', async () => {
    for (const path of ['/metrics', '/', '/-/healthy', '/-/ready', '/nowhere']) {
      const r = await request(s.url(path), trusting());
      expect({ path, status: r.status, auth: r.headers['www-authenticate'] }).toEqual({ path, status: 401, auth: 'Basic' });
    }
  });

  it('answers 401 to an unknown user and to a malformed Authorization header', async () => {
    expect((await request(s.url('/metrics'), trusting({ auth: 'mallory:alice-secret' }))).status).toBe(401);
    expect((await request(s.url('/metrics'), trusting({ headers: { Authorization: 'Basic !!!' } }))).status).toBe(401);
    expect((await request(s.url('/metrics'), trusting({ headers: { Authorization: 'Bearer abc' } }))).status).toBe(401);
  });

  it('sets the configured headers on every answer, 401 included', async () => {
    for (const auth of [alice, undefined]) {
      const r = await request(s.url('/metrics'), trusting({ auth }));
      expect(r.headers).toMatchObject({
        'x-frame-options': 'deny',
        'x-content-type-options': 'nosniff',
        'strict-transport-security': 'max-age=31536000',
      });
    }
  });

  it('curl --cacert: 200 with the password, 401 with a wrong one or none', async () => {
    const url = s.url('/metrics');
    const ok = await curl(['--cacert', pki.ca, '-u', alice, url]);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('edgebench_test_up 1');
    expect((await curl(['--cacert', pki.ca, '-u', 'alice:wrong', url])).status).toBe(401);
    expect(await curl(['--cacert', pki.ca, url])).toEqual({ status: 401, body: 'Unauthorized\n' });
  });

  it('curl without the CA refuses the server', async () => {
    await expect(curl([s.url('/metrics')])).rejects.toThrow(/certificate/);
  });

  it('refuses plain HTTP on the TLS port', async () => {
    await expect(request(s.url('/metrics').replace('https:', 'http:'), { auth: alice })).rejects.toThrow();
  });

  it('is refused by a client that does not trust its CA', async () => {
    await expect(request(s.url('/metrics'), { auth: alice })).rejects.toThrow(/certificate/);
  });
});

describe('client certificates', () => {
  type Outcome = number | 'refused';
  // [no certificate, signed by the client CA, self-signed]
  const expected: Record<string, [Outcome, Outcome, Outcome]> = {
    RequireAndVerifyClientCert: ['refused', 200, 'refused'],
    VerifyClientCertIfGiven: [200, 200, 'refused'],
    RequireAnyClientCert: ['refused', 200, 200],
    RequestClientCert: [200, 200, 200],
    NoClientCert: [200, 200, 200],
  };

  it.each(Object.entries(expected))('%s: no certificate, CA-signed, self-signed', async (mode, want) => {
    const ca = mode.includes('Verify') ? { client_ca_file: pki.ca } : {};
    const s = await serve(webConfig({ tls_server_config: tls({ client_auth_type: mode, ...ca }) }));
    try {
      const outcome = (o: ClientOptions) =>
        request(s.url('/-/healthy'), { ca: pki.ca, ...o }).then(
          (r): Outcome => r.status,
          (): Outcome => 'refused',
        );
      expect([
        await outcome({}),
        await outcome({ cert: pki.clientCert, key: pki.clientKey }),
        await outcome({ cert: pki.strangerCert, key: pki.strangerKey }),
      ]).toEqual(want);
    } finally {
      await stop(s);
    }
  });
});

describe('TLS versions', () => {
  it('min_version TLS13 refuses a TLS 1.2 client and serves a TLS 1.3 one', async () => {
    const s = await serve(webConfig({ tls_server_config: tls({ min_version: 'TLS13' }) }));
    try {
      await expect(request(s.url('/-/healthy'), { ca: pki.ca, maxVersion: 'TLSv1.2' })).rejects.toThrow(/version|alert/i);
      expect(await request(s.url('/-/healthy'), { ca: pki.ca })).toMatchObject({ status: 200, protocol: 'TLSv1.3' });
    } finally {
      await stop(s);
    }
  });

  it('serves TLS 1.2 by default (the toolkit minimum) and max_version TLS12 caps it', async () => {
    const s = await serve(webConfig({ tls_server_config: tls() }));
    const capped = await serve(webConfig({ tls_server_config: tls({ max_version: 'TLS12' }) }));
    try {
      expect(await request(s.url('/-/healthy'), { ca: pki.ca, maxVersion: 'TLSv1.2' })).toMatchObject({ status: 200, protocol: 'TLSv1.2' });
      expect(await request(capped.url('/-/healthy'), { ca: pki.ca })).toMatchObject({ status: 200, protocol: 'TLSv1.2' });
    } finally {
      await stop(s);
      await stop(capped);
    }
  });

  it('serves with the configured cipher suites and curves', async () => {
    const s = await serve(
      webConfig({
        tls_server_config: tls({
          max_version: 'TLS12',
          cipher_suites: ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
          curve_preferences: ['CurveP384'],
        }),
      }),
    );
    try {
      const r = await request(s.url('/-/healthy'), { ca: pki.ca });
      expect(r).toMatchObject({ status: 200, protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-CHACHA20-POLY1305', curve: 'secp384r1' });
      // A client offering only a suite the server does not list is refused.
      const refused = new Promise((resolve) => {
        httpsRequest(s.url('/-/healthy'), { agent: false, ca: pki.ca, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' })
          .on('error', resolve)
          .end();
      });
      expect(String(await refused)).toMatch(/handshake failure|alert/i);
    } finally {
      await stop(s);
    }
  });
});

describe('reload', () => {
  it('swaps users, headers, certificate and client auth on the running server', async () => {
    const s = await serve(webConfig({ tls_server_config: tls(), basic_auth_users: { alice: aliceHash } }));
    try {
      const before = await request(s.url('/metrics'), { ca: pki.ca, auth: alice });
      expect(before.status).toBe(200);

      s.server.reload(
        webConfig({
          tls_server_config: tls({
            cert_file: pki.server2Cert,
            key_file: pki.server2Key,
            client_auth_type: 'RequireAndVerifyClientCert',
            client_ca_file: pki.ca,
          }),
          http_server_config: { headers: { 'X-Frame-Options': 'sameorigin' } },
          basic_auth_users: { bob: bobHash },
        }),
      );
      const client = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey };
      await expect(request(s.url('/metrics'), { ca: pki.ca, auth: bob })).rejects.toThrow();
      expect((await request(s.url('/metrics'), { ...client, auth: alice })).status).toBe(401);
      const after = await request(s.url('/metrics'), { ...client, auth: bob });
      expect(after).toMatchObject({ status: 200, headers: { 'x-frame-options': 'sameorigin' } });
      expect(after.serverCert).not.toBe(before.serverCert);
    } finally {
      await stop(s);
    }
  });

  it('refuses to switch TLS on or off: that needs a restart', async () => {
    const s = await serve(webConfig({ tls_server_config: tls() }));
    const plain = await serve(undefined);
    try {
      expect(() => s.server.reload(webConfig({ basic_auth_users: { alice: aliceHash } }))).toThrow('switching TLS off needs a restart');
      expect(() => plain.server.reload(webConfig({ tls_server_config: tls() }))).toThrow('switching TLS on needs a restart');
      expect((await request(s.url('/-/healthy'), { ca: pki.ca })).status).toBe(200); // unchanged
    } finally {
      await stop(s);
      await stop(plain);
    }
  });
});

describe('no stack trace in any answer', () => {
  // An app as careless as can be: no error handler, a body parser, a param route, throwing handlers.
  function carelessApp() {
    const app = express();
    app.get('/boom', () => {
      throw new Error('kaboom in /secret/path.ts');
    });
    app.get('/async-boom', async () => {
      throw new Error('async kaboom');
    });
    app.get('/item/:id', (req, res) => {
      res.send(req.params.id);
    });
    app.post('/json', express.json(), (req, res) => {
      res.json(req.body);
    });
    return app;
  }
  const requests: [string, ClientOptions][] = [
    ['/boom', {}],
    ['/async-boom', {}],
    ['/%E0%A4%A', {}],
    ['/item/%E0%A4%A', {}],
    ['/json', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"bad' }],
    ['/nowhere', {}],
  ];
  const leaks = (body: string) => /\n\s+at |\/work\/|node_modules|kaboom|\.ts\b|\.js\b/.test(body);

  it('control: express alone leaks stack traces (so this test can see them)', async () => {
    const app = carelessApp();
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as { port: number };
      const r = await request(`http://127.0.0.1:${port}/boom`);
      expect(leaks(r.body)).toBe(true);
    } finally {
      server.close();
    }
  });

  it.each([false, true])('answers plainly to malformed URIs, bad JSON and throwing handlers (TLS: %s)', async (withTls) => {
    const logged: string[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => logged.push(line) });
    const web = webConfig({ ...(withTls ? { tls_server_config: tls() } : {}), basic_auth_users: { alice: aliceHash } });
    const s = await serve(web, { app: carelessApp() }, log);
    try {
      const answers = [];
      for (const [path, o] of requests) {
        const r = await request(s.url(path), { ca: pki.ca, auth: alice, ...o });
        answers.push({ path, status: r.status, type: r.headers['content-type'], body: r.body, leaks: leaks(r.body) });
      }
      expect(answers).toEqual([
        { path: '/boom', status: 500, type: 'text/plain; charset=utf-8', body: 'Internal Server Error\n', leaks: false },
        { path: '/async-boom', status: 500, type: 'text/plain; charset=utf-8', body: 'Internal Server Error\n', leaks: false },
        { path: '/%E0%A4%A', status: 404, type: 'text/plain; charset=utf-8', body: 'Not Found\n', leaks: false },
        { path: '/item/%E0%A4%A', status: 400, type: 'text/plain; charset=utf-8', body: 'Bad Request\n', leaks: false },
        { path: '/json', status: 400, type: 'text/plain; charset=utf-8', body: 'Bad Request\n', leaks: false },
        { path: '/nowhere', status: 404, type: 'text/plain; charset=utf-8', body: 'Not Found\n', leaks: false },
      ]);
      // The failures are logged, without the password or the Authorization header.
      const all = logged.join('');
      expect(all).toContain('kaboom');
      for (const secret of ['alice-secret', Buffer.from(alice).toString('base64'), 'authorization'])
        expect(all.toLowerCase()).not.toContain(secret.toLowerCase());
    } finally {
      await stop(s);
    }
  });

  it('the /metrics app answers plainly to a malformed URI too', async () => {
    const s = await serve(webConfig({ tls_server_config: tls(), basic_auth_users: { alice: aliceHash } }));
    try {
      const r = await request(s.url('/%E0%A4%A'), { ca: pki.ca, auth: alice });
      expect({ status: r.status, body: r.body }).toEqual({ status: 404, body: 'Not Found\n' });
    } finally {
      await stop(s);
    }
  });
});
