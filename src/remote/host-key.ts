// Host key pinning: an OpenSSH SHA256 fingerprint, or the entries of a known_hosts file.
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

export interface HostKeyPin {
  /** Fingerprints accepted for this host, as "SHA256:…". */
  accepted: string[];
  /** Where the pin came from, for error messages. */
  source: string;
  /** host_key.insecure_skip_verify: any key is accepted, and every connection says so in the log. */
  insecure?: boolean;
}

/**
 * Keys that known_hosts lists for host:port, as fingerprints, read as OpenSSH reads it: host names
 * match case-insensitively, hashed entries (|1|salt|hash) too, @revoked keys are never accepted
 * and @cert-authority lines (CA keys, not host keys) are ignored.
 */
export function knownHostsPin(file: string, host: string, port: number): HostKeyPin {
  const name = host.toLowerCase();
  const wanted = port === 22 ? name : `[${name}]:${port}`;
  const accepted: string[] = [];
  const revoked = new Set<string>();
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0]?.startsWith('@') ? fields.shift() : undefined;
    const [hosts, , key] = fields;
    if (!hosts || !key || marker === '@cert-authority') continue;
    if (marker === '@revoked') revoked.add(fingerprint(Buffer.from(key, 'base64')));
    else if (hosts.split(',').some((pattern) => hostMatches(pattern, wanted))) accepted.push(fingerprint(Buffer.from(key, 'base64')));
  }
  return { accepted: accepted.filter((f) => !revoked.has(f)), source: file };
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(host).digest('base64') === hash;
  }
  return pattern.toLowerCase() === host;
}
