// The web configuration file every Prometheus exporter reads with --web.config.file (exporter-toolkit's
// format: TLS, basic auth users, response headers), so edgebench is secured the same way. Spec:
// https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md
// Loading checks everything the server will need (files readable, certificate and key load and
// match, bcrypt hashes well formed) and reports each problem with its key path. Stricter than the
// toolkit where it would silently do something surprising; every such case says so in its message.
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createSecureContext, type SecureVersion, type TlsOptions } from 'node:tls';
import { z } from 'zod';
import { type ConfigIssue, keyPath } from '../config/issues.js';
import { parseYaml } from '../config/yaml-input.js';

export const clientAuthTypes = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof clientAuthTypes)[number];

export interface WebTls {
  /** For https.createServer and server.setSecureContext. */
  options: TlsOptions & { requestCert: boolean; rejectUnauthorized: boolean };
  clientAuth: ClientAuthType;
}

export interface WebConfig {
  file: string;
  /** undefined: plain HTTP. */
  tls: WebTls | undefined;
  /** Accepted for compatibility; edgebench always answers HTTP/1.1. */
  http2: boolean;
  headers: Record<string, string>;
  /** user → bcrypt hash; empty: no authentication. */
  users: ReadonlyMap<string, string>;
}

export class WebConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(issues.map((i) => (i.path ? `${file}: ${i.path}: ${i.message}` : `${file}: ${i.message}`)).join('\n'));
    this.name = 'WebConfigError';
  }
}

const tlsVersions: Record<string, SecureVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

// Go's names (tls.CipherSuites()) → OpenSSL's. Go does not let TLS 1.3 suites be chosen, so those
// names are accepted and change nothing, as in the toolkit.
const tls12Ciphers = new Map(
  Object.entries({
    TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
    TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  }),
);
const tls13Ciphers = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'];
/** In older Go's tls.CipherSuites(), without forward secrecy; Go 1.22 moved them to the insecure list. */
const staticRsaCiphers = [
  'TLS_RSA_WITH_AES_128_CBC_SHA',
  'TLS_RSA_WITH_AES_256_CBC_SHA',
  'TLS_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_RSA_WITH_AES_256_GCM_SHA384',
];
const curves = new Map(Object.entries({ CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' }));

/** The toolkit's only configurable headers, and the values it allows (undefined: any). */
const allowedHeaders: Record<string, readonly string[] | undefined> = {
  'Strict-Transport-Security': undefined,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': undefined,
  'Content-Security-Policy': undefined,
};

/** What the toolkit knows and edgebench does not do: an error, never silently ignored. */
const unsupported = z.unknown().optional();

// YAML `key:` with no value is null; Go reads it as the zero value, so null means unset here too.
const tlsSchema = z.strictObject({
  cert: z.string().nullish(),
  key: z.string().nullish(),
  client_ca: z.string().nullish(),
  cert_file: z.string().nullish(),
  key_file: z.string().nullish(),
  client_auth_type: z.enum([...clientAuthTypes, 'RequireClientCert']).nullish(),
  client_ca_file: z.string().nullish(),
  cipher_suites: z.array(z.string()).nullish(),
  curve_preferences: z.array(z.string()).nullish(),
  min_version: z.enum(Object.keys(tlsVersions)).nullish(),
  max_version: z.enum(Object.keys(tlsVersions)).nullish(),
  prefer_server_cipher_suites: z.boolean().nullish(),
  client_allowed_sans: unsupported,
});
const webSchema = z.strictObject({
  tls_server_config: tlsSchema.nullish(),
  http_server_config: z.strictObject({ http2: z.boolean().nullish(), headers: z.record(z.string(), z.string()).nullish() }).nullish(),
  basic_auth_users: z.record(z.string(), z.string()).nullish(),
  rate_limit: unsupported,
});
type TlsSection = z.infer<typeof tlsSchema>;

/** $2a$, $2b$ or $2y$, cost 04-31, 22 characters of salt and 31 of hash (what bcryptjs verifies). */
const bcryptHash = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

const errText = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

class Issues {
  readonly list: ConfigIssue[] = [];
  add(path: readonly PropertyKey[], message: string): void {
    this.list.push({ path: keyPath(path), message });
  }
}

function readPem(dir: string, tlsc: TlsSection, inline: 'cert' | 'key' | 'client_ca', issues: Issues): Buffer | undefined {
  const fileKey = `${inline}_file` as const;
  const file = tlsc[fileKey];
  if (file && tlsc[inline]) {
    issues.add(['tls_server_config', inline], `set either ${inline} or ${fileKey}, not both`);
    return undefined;
  }
  if (!file) return tlsc[inline] ? Buffer.from(tlsc[inline]) : undefined;
  const path = resolve(dir, file); // relative to the web config's directory, as the toolkit does
  try {
    return readFileSync(path);
  } catch (err) {
    issues.add(['tls_server_config', fileKey], `cannot read ${path}: ${errText(err)}`);
    return undefined;
  }
}

/** The key path of where a PEM came from: `cert_file` or inline `cert`. */
const pemKey = (tlsc: TlsSection, inline: 'cert' | 'key' | 'client_ca') => [
  'tls_server_config',
  tlsc[`${inline}_file`] ? `${inline}_file` : inline,
];

function tlsSettings(dir: string, tlsc: TlsSection, issues: Issues): WebTls | undefined {
  const enabled =
    tlsc.cert || tlsc.key || tlsc.client_ca || tlsc.cert_file || tlsc.key_file || tlsc.client_ca_file || tlsc.client_auth_type;
  if (!enabled) {
    // The toolkit would serve plain HTTP and ignore these keys: say so instead.
    const set = Object.entries(tlsc).filter(([, v]) => v !== null && v !== undefined);
    if (set.length > 0) issues.add(['tls_server_config'], `sets ${set.map(([k]) => k).join(', ')} but no certificate: TLS would be off`);
    return undefined;
  }
  if (tlsc.client_allowed_sans !== undefined) issues.add(['tls_server_config', 'client_allowed_sans'], 'not supported by edgebench');
  if (!tlsc.cert && !tlsc.cert_file) issues.add(['tls_server_config'], 'missing one of cert or cert_file');
  if (!tlsc.key && !tlsc.key_file) issues.add(['tls_server_config'], 'missing one of key or key_file');

  const certPem = readPem(dir, tlsc, 'cert', issues);
  const keyPem = readPem(dir, tlsc, 'key', issues);
  const caPem = readPem(dir, tlsc, 'client_ca', issues);
  let cert: X509Certificate | undefined;
  let key: KeyObject | undefined;
  if (certPem) {
    try {
      cert = new X509Certificate(certPem);
    } catch (err) {
      issues.add(pemKey(tlsc, 'cert'), `not a PEM certificate: ${errText(err)}`);
    }
  }
  if (keyPem) {
    try {
      key = createPrivateKey(keyPem);
    } catch (err) {
      issues.add(pemKey(tlsc, 'key'), `not an unencrypted PEM private key: ${errText(err)}`);
    }
  }
  if (cert && key && !cert.checkPrivateKey(key))
    issues.add(pemKey(tlsc, 'key'), `does not match the certificate in ${pemKey(tlsc, 'cert')[1]}`);
  if (caPem) {
    const blocks = caPem.toString().match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) issues.add(pemKey(tlsc, 'client_ca'), 'contains no PEM certificate');
    for (const [i, block] of blocks.entries()) {
      try {
        new X509Certificate(block);
      } catch (err) {
        issues.add(pemKey(tlsc, 'client_ca'), `certificate ${i + 1}: ${errText(err)}`);
      }
    }
  }

  const clientAuth: ClientAuthType =
    tlsc.client_auth_type === 'RequireClientCert' ? 'RequireAnyClientCert' : (tlsc.client_auth_type ?? 'NoClientCert'); // old alias
  if (caPem && clientAuth === 'NoClientCert') {
    issues.add(pemKey(tlsc, 'client_ca'), 'a client CA is set but client_auth_type is NoClientCert');
  }
  if (!caPem && !tlsc.client_ca_file && (clientAuth === 'VerifyClientCertIfGiven' || clientAuth === 'RequireAndVerifyClientCert')) {
    // Go would fall back to the system's roots: anyone with a public certificate would get in.
    issues.add(['tls_server_config', 'client_auth_type'], `${clientAuth} needs client_ca_file or client_ca`);
  }

  const [min, max] = [tlsc.min_version ?? 'TLS12', tlsc.max_version ?? 'TLS13']; // the toolkit's defaults
  if (min > max) issues.add(['tls_server_config', 'min_version'], `${min} is above max_version ${max}`);
  const ciphers: string[] = [];
  for (const [i, name] of (tlsc.cipher_suites ?? []).entries()) {
    const openssl = tls12Ciphers.get(name);
    if (openssl) ciphers.push(openssl);
    else if (staticRsaCiphers.includes(name))
      issues.add(['tls_server_config', 'cipher_suites', i], `${name} (no forward secrecy) is not supported by edgebench`);
    else if (!tls13Ciphers.includes(name)) issues.add(['tls_server_config', 'cipher_suites', i], `unknown cipher suite ${name}`);
  }
  const ecdhCurves: string[] = [];
  for (const [i, name] of (tlsc.curve_preferences ?? []).entries()) {
    const curve = curves.get(name);
    if (curve) ecdhCurves.push(curve);
    else issues.add(['tls_server_config', 'curve_preferences', i], `unknown curve ${name} (known: ${[...curves.keys()].join(', ')})`);
  }
  if (!certPem || !keyPem || issues.list.length > 0) return undefined;

  const options: WebTls['options'] = {
    cert: certPem,
    key: keyPem,
    ...(caPem ? { ca: caPem } : {}),
    minVersion: tlsVersions[min],
    maxVersion: tlsVersions[max],
    honorCipherOrder: tlsc.prefer_server_cipher_suites ?? true,
    // TLS 1.3 suites stay enabled whatever cipher_suites says, as in Go.
    ...(tlsc.cipher_suites?.length ? { ciphers: [...tls13Ciphers, ...ciphers].join(':') } : {}),
    ...(ecdhCurves.length ? { ecdhCurve: ecdhCurves.join(':') } : {}),
    requestCert: clientAuth !== 'NoClientCert',
    rejectUnauthorized: clientAuth === 'RequireAndVerifyClientCert',
  };
  try {
    createSecureContext(options); // what OpenSSL itself thinks of it all
  } catch (err) {
    issues.add(['tls_server_config'], `OpenSSL refuses it: ${(err as Error).message}`);
    return undefined;
  }
  return { options, clientAuth };
}

function headerSettings(headers: Record<string, string>, issues: Issues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const at = ['http_server_config', 'headers', name];
    if (!Object.hasOwn(allowedHeaders, name)) {
      issues.add(at, `HTTP header ${name} can not be configured (allowed: ${Object.keys(allowedHeaders).join(', ')})`);
      continue;
    }
    const values = allowedHeaders[name];
    if (values && !values.includes(value)) issues.add(at, `expected one of ${values.join(', ')}, got ${JSON.stringify(value)}`);
    else if (value !== '') out[name] = value; // "Unset if blank"
  }
  return out;
}

function userSettings(users: Record<string, string>, issues: Issues): Map<string, string> {
  for (const [user, hash] of Object.entries(users)) {
    // The hash is not printed: the toolkit treats it as a secret.
    if (!bcryptHash.test(hash)) issues.add(['basic_auth_users', user], 'not a bcrypt hash ($2a$, $2b$ or $2y$, cost 04-31, 60 characters)');
    if (user.includes(':')) issues.add(['basic_auth_users', user], 'a user name with ":" cannot be sent in basic auth');
  }
  return new Map(Object.entries(users));
}

/** Parses the text of a web config; `file` names it in errors and anchors relative paths. */
export function parseWebConfig(text: string, file: string): WebConfig {
  // zod's own messages: the ones this file has always given, as in the fixtures' `# error:` lines
  const input = parseYaml(text, webSchema, 'zod');
  if (!input.ok) throw new WebConfigError(file, input.issues);
  const c = input.value;
  const issues = new Issues();
  if (c.rate_limit !== undefined) issues.add(['rate_limit'], 'not supported by edgebench');
  const web: WebConfig = {
    file,
    tls: c.tls_server_config ? tlsSettings(dirname(file), c.tls_server_config, issues) : undefined,
    http2: c.http_server_config?.http2 ?? true,
    headers: headerSettings(c.http_server_config?.headers ?? {}, issues),
    users: userSettings(c.basic_auth_users ?? {}, issues),
  };
  if (issues.list.length > 0) throw new WebConfigError(file, issues.list);
  return web;
}

export function loadWebConfig(file: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new WebConfigError(file, [{ path: '', message: `cannot read the file: ${errText(err)}` }]);
  }
  return parseWebConfig(text, file);
}
