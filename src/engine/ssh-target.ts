// From a DUT's configuration to what the SSH connection needs: key material, secrets read from the
// environment or files (never from the configuration itself), and the host key pin.
import { readFileSync } from 'node:fs';
import type { DutTarget } from '../config/dut.js';
import { type HostKeyPin, knownHostsPin } from '../remote/host-key.js';
import type { SshTarget } from '../remote/ssh-connection.js';

/** A secret's first line, from an environment variable or a file; validated at config load. */
function secret(env: string | undefined, file: string | undefined): string | undefined {
  if (env !== undefined) return process.env[env];
  if (file !== undefined) return readFileSync(file, 'utf8').split('\n')[0];
  return undefined;
}

function hostKeyPin(dut: DutTarget): HostKeyPin {
  const pin = dut.host_key;
  if ('fingerprint' in pin) return { accepted: [pin.fingerprint], source: 'host_key.fingerprint' };
  if ('known_hosts' in pin) return knownHostsPin(pin.known_hosts, dut.host, dut.port);
  return { accepted: [], source: 'host_key.insecure_skip_verify', insecure: true };
}

export function sshTarget(dut: DutTarget): SshTarget {
  return {
    dut: dut.name,
    host: dut.host,
    port: dut.port,
    user: dut.user,
    privateKey: dut.identity_file === undefined ? undefined : readFileSync(dut.identity_file),
    passphrase: secret(dut.passphrase_env, dut.passphrase_file),
    password: secret(dut.password_env, dut.password_file),
    hostKey: hostKeyPin(dut),
    connectTimeoutMs: dut.connect_timeout,
  };
}
