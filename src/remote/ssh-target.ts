// From a DUT's configuration to what the SSH connection needs: key material and the host key pin.
import { readFileSync } from 'node:fs';
import type { DutConfig } from '../config/schema.js';
import { knownHostsPin } from './host-key.js';
import type { SshTarget } from './ssh-connection.js';

export function sshTarget(dut: DutConfig): SshTarget {
  return {
    dut: dut.name,
    host: dut.host,
    port: dut.port,
    user: dut.user,
    privateKey: readFileSync(dut.identity_file),
    passphrase: dut.passphrase_env ? process.env[dut.passphrase_env] : undefined,
    hostKey:
      'fingerprint' in dut.host_key
        ? { accepted: [dut.host_key.fingerprint], source: 'host_key.fingerprint' }
        : knownHostsPin(dut.host_key.known_hosts, dut.host, dut.port),
    connectTimeoutMs: dut.connect_timeout,
  };
}
