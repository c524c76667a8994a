// Secrets reach the SSH connection from the environment or a file (first line only), never from the
// configuration; the insecure host-key option turns into a pin that accepts anything, and says so.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DutConfig } from '../../src/config-file/schema.js';
import { sshTarget } from '../../src/engine/ssh-target.js';

const dir = mkdtempSync(join(tmpdir(), 'edgebench-target-'));
const key = join(dir, 'key');
writeFileSync(key, 'KEY MATERIAL\n');
const base = { name: 'd', host: '192.0.2.1', port: 22, user: 'root', connect_timeout: 10_000 } as DutConfig;

describe('sshTarget', () => {
  it('reads a passphrase from the environment and a password from the first line of a file', () => {
    process.env.EDGEBENCH_TEST_PASSPHRASE = 'from the environment';
    writeFileSync(join(dir, 'password'), 'first line\nsecond line\n');
    const t = sshTarget({
      ...base,
      identity_file: key,
      passphrase_env: 'EDGEBENCH_TEST_PASSPHRASE',
      password_file: join(dir, 'password'),
      host_key: { fingerprint: 'SHA256:E+nYo9r5ZtG0yWvS8fQ2mXbL7cK1dH3jP4aR6uT0DoK' },
    });
    expect(t).toMatchObject({ passphrase: 'from the environment', password: 'first line', privateKey: Buffer.from('KEY MATERIAL\n') });
    expect(t.hostKey).toEqual({ accepted: ['SHA256:E+nYo9r5ZtG0yWvS8fQ2mXbL7cK1dH3jP4aR6uT0DoK'], source: 'host_key.fingerprint' });
  });

  it('has no key and no secret when none is configured, and an insecure pin only when asked', () => {
    const t = sshTarget({ ...base, password_env: 'EDGEBENCH_TEST_PASSPHRASE', host_key: { insecure_skip_verify: true } });
    expect(t.privateKey).toBeUndefined();
    expect(t.passphrase).toBeUndefined();
    expect(t.hostKey).toEqual({ accepted: [], source: 'host_key.insecure_skip_verify', insecure: true });
  });
});
