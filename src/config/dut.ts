// A DUT's configuration but its benchmarks: the part every benchmark may read (address, containers,
// lxc path) without importing the registry that the whole schema is built from.
import { z } from 'zod';
import { duration, hostAddress, remotePath, safeName, tcpPort } from './fields.js';

const HOST_KEY_FORMS =
  'host_key: { fingerprint: "SHA256:…" } (ssh-keyscan -t ed25519 HOST | ssh-keygen -lf -), { known_hosts: FILE }, or { insecure_skip_verify: true } for a first bring-up';

/** Where a file path is read: relative to the configuration file, as Prometheus reads its rule_files. */
export const RELATIVE = 'a relative path is relative to the configuration file';

const hostKey = z.union(
  [
    z.strictObject({
      fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, {
        message: 'must be an OpenSSH SHA256 fingerprint: "SHA256:" and 43 base64 characters, no "=" padding (ssh-keygen -lf)',
      }),
    }),
    z.strictObject({
      known_hosts: z
        .string()
        .min(1)
        .meta({ description: `Path of a known_hosts file on the test machine; ${RELATIVE}` }),
    }),
    z.strictObject({
      insecure_skip_verify: z.literal(true, { message: 'must be true (or pin the key with fingerprint or known_hosts)' }).meta({
        description: 'Accept any host key: a man in the middle would go unnoticed. Logged as a warning at every connection',
      }),
    }),
  ],
  {
    // A new DUT has no pin yet: say how to get one rather than list what each form lacks.
    error: (iss) => {
      if (iss.input === undefined) return `required: write ${HOST_KEY_FORMS}`;
      if (typeof iss.input !== 'object' || iss.input === null || Array.isArray(iss.input))
        return `must be a mapping: write ${HOST_KEY_FORMS}`;
      if (Object.keys(iss.input).length === 0) return `is empty: write ${HOST_KEY_FORMS}`;
      return undefined;
    },
  },
);

/** Where a secret comes from: an environment variable's name or a file's path, never the value. */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an environment variable name' });
const secretFile = z.string().min(1);
const fileHint = (what: string) => ({ description: `${what}; ${RELATIVE}` });

const container = z.strictObject({
  name: safeName.meta({ description: 'LXC container name' }),
  address: hostAddress.meta({ description: 'Address the test machine reaches the container at' }),
});

/** A DUT's keys but its benchmarks: how to reach it and what it has. */
export const dutTargetSchema = z.strictObject({
  name: safeName.meta({ description: 'DUT name, the `dut` label of every series' }),
  host: hostAddress,
  traffic_address: hostAddress.optional().meta({
    description:
      'Address the test machine sends benchmark traffic to for netdev host; defaults to host (set it when SSH uses a management port)',
  }),
  port: tcpPort.default(22),
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { message: 'must be a POSIX user name' })
    .default('root'),
  identity_file: z.string().min(1).optional().meta(fileHint('Private key on the test machine (OpenSSH or PEM)')),
  passphrase_env: envName.optional().meta({ description: 'Environment variable holding the key passphrase (never the passphrase itself)' }),
  passphrase_file: secretFile.optional().meta(fileHint('File holding the key passphrase (one line)')),
  password_env: envName.optional().meta({ description: 'Environment variable holding the login password, for DUTs without a key' }),
  password_file: secretFile.optional().meta(fileHint('File holding the login password (one line)')),
  host_key: hostKey,
  connect_timeout: duration('10s').prefault('10s'),
  lxc_path: remotePath.default('/var/lib/lxc').meta({ description: 'lxcpath on the DUT; OpenWrt uses /srv/lxc' }),
  containers: z
    .strictObject({
      veth: container.optional(),
      macvlan: container.optional(),
      pool: z.array(safeName).default([]).meta({ description: 'Containers for multi-instance CPU runs' }),
    })
    .default({ pool: [] }),
});

export type DutTarget = z.output<typeof dutTargetSchema>;
export type ContainerConfig = z.output<typeof container>;
