// A throwaway PKI made with openssl at test time: a CA, two server certificates for localhost and
// 127.0.0.1 signed by it, a client certificate signed by it, and a self-signed client certificate
// no CA vouches for. Also runs the other tools these tests need, failing with what to install.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  /** A second server certificate, for reloads. */
  server2Cert: string;
  server2Key: string;
  clientCert: string;
  clientKey: string;
  strangerCert: string;
  strangerKey: string;
}

/** Runs a tool; throws with what to install when it is missing, or with its output when it fails. */
export function tool(
  bin: string,
  args: string[],
  opts: { cwd?: string; allowFailure?: boolean } = {},
): { status: number | null; output: string } {
  const r = spawnSync(bin, args, { cwd: opts.cwd, encoding: 'utf8', timeout: 30_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    const pkg: Record<string, string> = { openssl: 'openssl', promtool: 'prometheus', curl: 'curl' };
    throw new Error(`${bin} is not installed: these tests need Debian's ${pkg[bin] ?? bin} package`);
  }
  if (r.error) throw r.error;
  const output = `${r.stdout}${r.stderr}`;
  if (r.status !== 0 && !opts.allowFailure) throw new Error(`${bin} ${args.join(' ')} failed (${r.status}):\n${output}`);
  return { status: r.status, output };
}

// P-256 keys: quick to make, and what Go's and Node's TLS both take.
const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export function makePki(dir: string): Pki {
  const openssl = (...args: string[]) => tool('openssl', args, { cwd: dir });
  openssl(
    'req',
    '-x509',
    ...newKey,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=edgebench test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  /** A key and a certificate for NAME signed by the CA, with the extensions of EXT. */
  const signed = (name: string, subject: string, ext: string) => {
    openssl('req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      `${name}.crt`,
    );
  };
  signed('server', '/CN=localhost', 'server.ext');
  signed('server2', '/CN=localhost', 'server.ext');
  signed('client', '/CN=scraper', 'client.ext');
  openssl('req', '-x509', ...newKey, '-keyout', 'stranger.key', '-out', 'stranger.crt', '-days', '2', '-subj', '/CN=stranger');
  const at = (f: string) => join(dir, f);
  return {
    dir,
    ca: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    server2Cert: at('server2.crt'),
    server2Key: at('server2.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    strangerCert: at('stranger.crt'),
    strangerKey: at('stranger.key'),
  };
}
