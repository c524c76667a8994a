import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint, knownHostsPin } from '../../src/remote/host-key.js';

interface Key {
  /** "ssh-ed25519 AAAA…" */
  typeAndBlob: string;
  blob: Buffer;
  /** As printed by ssh-keygen -l -E sha256. */
  sshKeygenFingerprint: string;
}

let dir: string;
const keys: Record<string, Key> = {};

function keygen(name: string, type: string, bits?: number): Key {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', `${name}@test`, '-f', file]);
  const pub = readFileSync(`${file}.pub`, 'utf8').trim();
  const [keyType, b64] = pub.split(' ');
  if (!keyType || !b64) throw new Error(`unexpected public key file: ${pub}`);
  const listed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' });
  const fp = /\b(SHA256:[A-Za-z0-9+/]+)/.exec(listed)?.[1];
  if (!fp) throw new Error(`no fingerprint in: ${listed}`);
  return { typeAndBlob: `${keyType} ${b64}`, blob: Buffer.from(b64, 'base64'), sshKeygenFingerprint: fp };
}

const key = (name: string): Key => {
  const k = keys[name];
  if (!k) throw new Error(`no key ${name}`);
  return k;
};
const fp = (name: string): string => key(name).sshKeygenFingerprint;

let plainFile: string;
let hashedFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-hostkey-test-'));
  keys.ed25519 = keygen('ed25519', 'ed25519');
  keys.ecdsa = keygen('ecdsa', 'ecdsa', 256);
  keys.rsa = keygen('rsa', 'rsa', 2048);
  keys.port = keygen('port', 'ed25519');
  keys.other = keygen('other', 'ed25519');
  keys.revoked = keygen('revoked', 'ed25519');
  keys.commented = keygen('commented', 'ed25519');
  keys.prefix = keygen('prefix', 'ed25519');

  plainFile = join(dir, 'known_hosts');
  writeFileSync(
    plainFile,
    [
      '# known_hosts for the edgebench tests',
      '',
      `dut1.lan,192.168.1.1 ${key('ed25519').typeAndBlob}`,
      `   dut1.lan ${key('rsa').typeAndBlob} a trailing comment`,
      `[dut1.lan]:2222 ${key('port').typeAndBlob}`,
      `other.lan ${key('other').typeAndBlob}`,
      `# dut1.lan ${key('commented').typeAndBlob}`,
      `@revoked dut1.lan ${key('revoked').typeAndBlob}`,
      `dut1.lan.example,dut1 ${key('prefix').typeAndBlob}`,
      `\tdut2.lan\t${key('ecdsa').typeAndBlob}\r`,
      '',
    ].join('\n'),
  );
  // The same entries, hashed for real by OpenSSH.
  hashedFile = join(dir, 'known_hosts.hashed');
  copyFileSync(plainFile, hashedFile);
  execFileSync('ssh-keygen', ['-H', '-f', hashedFile], { stdio: 'ignore' });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('fingerprint', () => {
  it.each(['ed25519', 'ecdsa', 'rsa'])('matches ssh-keygen -l -E sha256 for an %s key', (name) => {
    expect(fingerprint(key(name).blob)).toBe(fp(name));
  });

  it('has no base64 padding and 43 digest characters', () => {
    for (const name of ['ed25519', 'ecdsa', 'rsa']) {
      expect(fingerprint(key(name).blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    }
  });

  it('differs between keys', () => {
    expect(fingerprint(key('ed25519').blob)).not.toBe(fingerprint(key('port').blob));
  });
});

describe('the test fixture', () => {
  it('was really hashed by ssh-keygen -H', () => {
    // ssh-keygen -H leaves comments and @revoked lines as they are, and hashes every other name.
    const entries = readFileSync(hashedFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#') && !line.startsWith('@revoked'));
    expect(entries.length).toBeGreaterThanOrEqual(7);
    for (const line of entries) expect(line).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ (ssh-|ecdsa-)/);
  });
});

describe.each([
  ['plain', () => plainFile],
  ['hashed', () => hashedFile],
])('knownHostsPin, %s entries', (_kind, file) => {
  const accepted = (host: string, port: number) => [...knownHostsPin(file(), host, port).accepted].sort();
  const sorted = (...names: string[]) => names.map(fp).sort();

  it('accepts every key listed for the host on port 22', () => {
    expect(accepted('dut1.lan', 22)).toEqual(sorted('ed25519', 'rsa'));
  });

  it('matches any name of a comma-separated host list', () => {
    expect(accepted('192.168.1.1', 22)).toEqual(sorted('ed25519'));
    expect(accepted('dut1', 22)).toEqual(sorted('prefix'));
  });

  it('uses the [host]:port entry for another port, and only it', () => {
    expect(accepted('dut1.lan', 2222)).toEqual(sorted('port'));
    expect(accepted('dut1.lan', 2223)).toEqual([]);
    expect(accepted('192.168.1.1', 2222)).toEqual([]);
  });

  it('ignores comments, and does not accept a revoked key', () => {
    const all = [22, 2222].flatMap((port) => accepted('dut1.lan', port));
    expect(all).not.toContain(fp('commented'));
    expect(all).not.toContain(fp('revoked'));
  });

  it('does not match other hosts, or names that merely share a prefix', () => {
    expect(accepted('other.lan', 22)).toEqual(sorted('other'));
    expect(accepted('unknown.lan', 22)).toEqual([]);
    expect(accepted('dut1.la', 22)).toEqual([]);
    expect(accepted('dut1.lan.', 22)).toEqual([]);
  });

  it('tolerates tabs, leading blanks and CRLF line ends', () => {
    expect(accepted('dut2.lan', 22)).toEqual(sorted('ecdsa'));
  });

  it('names the file as the source', () => {
    expect(knownHostsPin(file(), 'dut1.lan', 22).source).toBe(file());
  });

  it('agrees with ssh-keygen -F', () => {
    for (const [host, port] of [
      ['dut1.lan', 22],
      ['dut1.lan', 2222],
      ['192.168.1.1', 22],
      ['other.lan', 22],
      ['dut2.lan', 22],
      ['nowhere.lan', 22],
    ] as const) {
      const query = port === 22 ? host : `[${host}]:${port}`;
      const res = spawnSync('ssh-keygen', ['-l', '-F', query, '-f', file()], { encoding: 'utf8' });
      // Pairs of "# Host … found: line N [REVOKED]" and "host TYPE SHA256:…"; revoked keys are not accepted.
      const listed: string[] = [];
      let revoked = false;
      for (const line of res.stdout.split('\n')) {
        if (line.startsWith('#')) revoked = /REVOKED/.test(line);
        else if (!revoked) listed.push(...(/\b(SHA256:[A-Za-z0-9+/]+)/.exec(line)?.slice(1) ?? []));
      }
      listed.sort();
      if (port === 22 && host === 'dut1.lan') expect(listed).toHaveLength(2);
      expect(accepted(host, port), `${query}`).toEqual(listed);
    }
  });

  // OpenSSH's ssh lowercases the host name before looking it up (and ssh-keygen -H hashes what ssh wrote),
  // so `host: DUT1.lan` in the configuration finds no key, and the connection is refused.
  it('matches the host name case-insensitively, as ssh does', () => {
    expect(accepted('DUT1.lan', 22)).toEqual(sorted('ed25519', 'rsa'));
  });
});

describe('knownHostsPin, edge cases', () => {
  it('returns no key for an empty file', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    expect(knownHostsPin(empty, 'dut1.lan', 22)).toEqual({ accepted: [], source: empty });
  });

  it('skips lines without a key', () => {
    const broken = join(dir, 'broken');
    writeFileSync(broken, `dut1.lan\ndut1.lan ssh-ed25519\ndut1.lan ${key('ed25519').typeAndBlob}\n`);
    expect(knownHostsPin(broken, 'dut1.lan', 22).accepted).toEqual([fp('ed25519')]);
  });

  it('throws when the file cannot be read', () => {
    expect(() => knownHostsPin(join(dir, 'missing'), 'dut1.lan', 22)).toThrow(/ENOENT/);
  });

  it('does not treat a hashed entry of another host as a match', () => {
    const other = join(dir, 'other-hashed');
    writeFileSync(other, `other.lan ${key('other').typeAndBlob}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', other], { stdio: 'ignore' });
    expect(knownHostsPin(other, 'dut1.lan', 22).accepted).toEqual([]);
    expect(knownHostsPin(other, 'other.lan', 22).accepted).toEqual([fp('other')]);
  });

  // OpenSSH refuses a key marked @revoked even when another line lists it; knownHostsPin skips @revoked
  // lines entirely, so the revocation has no effect.
  it('never accepts a key that is also marked @revoked', () => {
    const both = join(dir, 'listed-and-revoked');
    writeFileSync(both, `dut1.lan ${key('revoked').typeAndBlob}\n@revoked dut1.lan ${key('revoked').typeAndBlob}\n`);
    expect(knownHostsPin(both, 'dut1.lan', 22).accepted).not.toContain(fp('revoked'));
  });

  // A @cert-authority line lists a CA key that signs host certificates; OpenSSH never accepts it as the
  // host's own key, but knownHostsPin strips the marker and pins the CA key as a host key.
  it('does not take a @cert-authority key for the host key', () => {
    const ca = join(dir, 'cert-authority');
    writeFileSync(ca, `@cert-authority dut1.lan ${key('other').typeAndBlob}\n`);
    expect(knownHostsPin(ca, 'dut1.lan', 22).accepted).toEqual([]);
  });
});
