// The web config loader on the fixtures in test/fixtures/web-config (see its README): every good
// file loads, every bad one fails with its key path, and Debian's promtool (`promtool check
// web-config`, Prometheus 2.42's exporter-toolkit) accepts every file edgebench accepts.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config-file/load.js';
import { loadWebConfig, parseWebConfig, WebConfigError } from '../../src/http/web-config.js';
import { makePki, type Pki, tool } from './pki.js';

const fixtures = fileURLToPath(new URL('../fixtures/web-config', import.meta.url));
const good = readdirSync(join(fixtures, 'good')).sort();
const bad = readdirSync(join(fixtures, 'bad')).sort();
const dir = mkdtempSync(join(tmpdir(), 'edgebench-web-config-'));
let pki: Pki;

/** A fixture copied next to the PKI, with its `${bcrypt:PASSWORD}` placeholders hashed now. */
function place(kind: 'good' | 'bad', name: string): string {
  const text = readFileSync(join(fixtures, kind, name), 'utf8').replace(/\$\{bcrypt:([^}]*)\}/g, (_m, pw: string) =>
    bcrypt.hashSync(pw, 4),
  );
  const file = join(dir, `${kind}-${name}`);
  writeFileSync(file, text);
  return file;
}

/** The `# key: value` header lines of a bad fixture. */
function expectation(name: string): { error: string; promtool: string } {
  const text = readFileSync(join(fixtures, 'bad', name), 'utf8');
  const line = (key: string) => {
    const m = new RegExp(`^# ${key}: (.*)$`, 'm').exec(text);
    if (!m?.[1]) throw new Error(`bad/${name} has no "# ${key}:" line`);
    return m[1].replaceAll(`\${dir}`, dir);
  };
  return { error: line('error'), promtool: line('promtool') };
}

function loadError(file: string): WebConfigError {
  try {
    loadWebConfig(file);
  } catch (err) {
    if (err instanceof WebConfigError) return err;
    throw err;
  }
  throw new Error(`${file} loaded`);
}

beforeAll(() => {
  pki = makePki(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('good web configs', () => {
  it.each(good)('edgebench loads %s', (name) => {
    expect(() => loadWebConfig(place('good', name))).not.toThrow();
  });

  it.each(good)('promtool check web-config accepts %s', (name) => {
    const r = tool('promtool', ['check', 'web-config', place('good', name)], { allowFailure: true });
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });
});

describe('bad web configs', () => {
  it.each(bad)('edgebench rejects %s, naming the file and the key path', (name) => {
    const file = place('bad', name);
    expect(loadError(file).message).toContain(`${file}: ${expectation(name).error}`);
  });

  it.each(bad)('promtool agrees or the fixture says why not: %s', (name) => {
    const r = tool('promtool', ['check', 'web-config', place('bad', name)], { allowFailure: true });
    const verdict = expectation(name).promtool.split(' ')[0];
    expect(verdict === 'accepts' || verdict === 'rejects').toBe(true);
    expect({ status: r.status === 0 ? 'accepts' : 'rejects', output: r.output }).toMatchObject({ status: verdict });
  });
});

describe('loadWebConfig', () => {
  it('maps the toolkit settings to Node TLS options, paths relative to the file', () => {
    const web = loadWebConfig(place('good', 'ciphers-curves.yml'));
    expect(web.tls?.options).toMatchObject({
      cert: readFileSync(pki.serverCert),
      key: readFileSync(pki.serverKey),
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      honorCipherOrder: true,
      ciphers:
        'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:' +
        'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305',
      ecdhCurve: 'X25519:P-256',
      requestCert: false,
      rejectUnauthorized: false,
    });
    expect(web.http2).toBe(true);
  });

  it('maps client_auth_type to requestCert and rejectUnauthorized', () => {
    const modes = ['mtls', 'client-cert-if-given', 'client-cert-any', 'client-cert-request'].map((n) => {
      const { clientAuth, options } = loadWebConfig(place('good', `${n}.yml`)).tls ?? {};
      return [clientAuth, options?.requestCert, options?.rejectUnauthorized, options?.ca !== undefined];
    });
    expect(modes).toEqual([
      ['RequireAndVerifyClientCert', true, true, true],
      ['VerifyClientCertIfGiven', true, false, true],
      ['RequireAnyClientCert', true, false, false],
      ['RequestClientCert', true, false, false],
    ]);
  });

  it('reads users, headers and http2', () => {
    const web = loadWebConfig(place('good', 'tls-users-headers.yml'));
    expect([...web.users.keys()]).toEqual(['alice', 'bob']);
    expect(bcrypt.compareSync('alice-secret', web.users.get('alice') ?? '')).toBe(true);
    expect(web.headers).toMatchObject({ 'X-Frame-Options': 'deny', 'Content-Security-Policy': "default-src 'none'" });
    expect(web.http2).toBe(false);
  });

  it('takes no TLS and no users from an empty file or empty sections', () => {
    for (const name of ['empty.yml', 'null-sections.yml']) {
      expect(loadWebConfig(place('good', name))).toMatchObject({ tls: undefined, headers: {}, users: new Map() });
    }
  });

  it('takes inline cert, key and client_ca (exporter-toolkit 0.10; promtool 2.42 predates them)', () => {
    const file = join(dir, 'inline.yml');
    const pem = (f: string) => readFileSync(f, 'utf8').replace(/^/gm, '    ');
    writeFileSync(
      file,
      'tls_server_config:\n' +
        `  cert: |\n${pem(pki.serverCert)}\n` +
        `  key: |\n${pem(pki.serverKey)}\n` +
        `  client_ca: |\n${pem(pki.ca)}\n` +
        '  client_auth_type: RequireAndVerifyClientCert\n',
    );
    const tls = loadWebConfig(file).tls;
    expect(tls?.options.cert?.toString()).toBe(readFileSync(pki.serverCert, 'utf8'));
    expect(tls?.options.ca?.toString()).toBe(readFileSync(pki.ca, 'utf8'));
    expect(tls?.clientAuth).toBe('RequireAndVerifyClientCert');
  });

  it('says what is wrong with an inline key, under its own key path', () => {
    const file = join(dir, 'inline-bad.yml');
    writeFileSync(file, `tls_server_config:\n  cert_file: ${pki.serverCert}\n  key: not a key\n`);
    expect(loadError(file).message).toMatch(new RegExp(`^${file}: tls_server_config.key: not an unencrypted PEM private key`));
  });

  it('reports every problem at once, one line each', () => {
    const file = join(dir, 'many.yml');
    writeFileSync(file, 'tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\nbasic_auth_users:\n  alice: x\n');
    expect(loadError(file).message.split('\n')).toEqual([
      `${file}: tls_server_config.cert_file: cannot read ${dir}/nope.crt: ENOENT`,
      `${file}: tls_server_config.key_file: cannot read ${dir}/nope.key: ENOENT`,
      `${file}: basic_auth_users.alice: not a bcrypt hash ($2a$, $2b$ or $2y$, cost 04-31, 60 characters)`,
    ]);
  });

  it('never prints a hash', () => {
    const file = join(dir, 'hash.yml');
    writeFileSync(file, 'basic_auth_users:\n  alice: $2y$10$tooShortToBeAHash\n');
    expect(loadError(file).message).not.toContain('tooShort');
  });

  it('names the file it cannot read', () => {
    const file = join(dir, 'absent.yml');
    expect(loadError(file).message).toBe(`${file}: cannot read the file: ENOENT`);
  });

  it('resolves relative paths against the file, not the working directory', () => {
    const sub = mkdtempSync(join(dir, 'sub-'));
    for (const f of ['server.crt', 'server.key']) copyFileSync(join(dir, f), join(sub, f));
    const file = join(sub, 'web.yml');
    writeFileSync(file, 'tls_server_config:\n  cert_file: server.crt\n  key_file: ./server.key\n');
    expect(process.cwd()).not.toBe(sub);
    expect(loadWebConfig(file).tls?.options.key).toEqual(readFileSync(pki.serverKey));
  });
});

describe('parseWebConfig reads YAML as the configuration does', () => {
  function issuesOf(parse: () => unknown): { path: string; message: string }[] {
    try {
      parse();
    } catch (err) {
      if (err instanceof WebConfigError || err instanceof ConfigError) return err.issues;
      throw err;
    }
    throw new Error('accepted');
  }

  it('reports a YAML syntax error with the same issue', () => {
    const text = 'tls_server_config: [\n';
    const issue = {
      path: '',
      message: 'YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1',
    };
    expect(issuesOf(() => parseWebConfig(text, 'web.yml'))).toEqual([issue]);
    expect(issuesOf(() => parseConfig(text, 'edgebench.yml'))).toEqual([issue]);
    expect(() => parseWebConfig(text, 'web.yml')).toThrow(`web.yml: ${issue.message}`);
  });

  it('names a list element under a key with the same key path format', () => {
    expect(issuesOf(() => parseWebConfig('tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256, 5]\n', 'web.yml'))).toEqual([
      { path: 'tls_server_config.cipher_suites[1]', message: 'Invalid input: expected string, received number' },
    ]);
    expect(issuesOf(() => parseConfig('duts:\n  - { name: d1, host: 5 }\n', 'edgebench.yml'))).toContainEqual({
      path: 'duts[0].host',
      message: 'must be a string, got 5',
    });
  });

  it('merges `<<:` keys, as the toolkit’s YAML does', () => {
    const web = parseWebConfig('http_server_config:\n  headers: { <<: { X-Frame-Options: deny } }\n', 'web.yml');
    expect(web.headers).toEqual({ 'X-Frame-Options': 'deny' });
  });
});
