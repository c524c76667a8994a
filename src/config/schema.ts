// The configuration file's schema: one YAML document, unknown keys rejected everywhere.
import scheduleLib from 'node-schedule';
import { z } from 'zod';
import { benchmarkParamSchemas } from '../benchmarks/index.js';
import { DAY_MS, duration, hostAddress, remotePath, repetitions, safeName, tcpPort } from './fields.js';

const HOST_KEY_FORMS =
  'host_key: { fingerprint: "SHA256:…" } (ssh-keyscan -t ed25519 HOST | ssh-keygen -lf -), { known_hosts: FILE }, or { insecure_skip_verify: true } for a first bring-up';

/** Where a file path is read: relative to the configuration file, as Prometheus reads its rule_files. */
const RELATIVE = 'a relative path is relative to the configuration file';

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

export const dutSchema = z.strictObject({
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
  benchmarks: z.strictObject(benchmarkParamSchemas),
});

const listen = z.string().regex(/^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, {
  message: 'must be "address:port", e.g. "0.0.0.0:9877" or ":9877"',
});

const cronExpression = z.string().refine(
  (expr) => {
    const job = scheduleLib.scheduleJob(expr, () => {});
    job?.cancel();
    return job !== null;
  },
  { message: 'must be a cron expression such as "*/15 * * * *"' },
);

const journal = z.strictObject({
  path: z
    .string()
    .min(1)
    .default('edgebench-journal.sqlite')
    .meta({
      description: `SQLite file of every job and the last results; ${RELATIVE}`,
    }),
  retention: duration('30d', 3650 * DAY_MS)
    .prefault('30d')
    .meta({ description: 'Jobs older than this are deleted from the journal' }),
});

export const configSchema = z
  .strictObject({
    listen: listen.default(':9877'),
    journal: journal.prefault({}),
    schedule: z
      .union([z.strictObject({ interval: duration('15m') }), z.strictObject({ cron: cronExpression })])
      .prefault({ interval: '15m' }),
    repetitions: repetitions.prefault({}).meta({
      description: 'Default repetitions of every job: a fixed count, or {min, max, max_rsd_percent, warmup} (adaptive)',
    }),
    // No default: a typo (`dut:`) must not read as "no DUT", which measures the built-in lab instead.
    duts: z.array(dutSchema, {
      error: (iss) => (iss.input === undefined ? 'required; write `duts: []` to measure the built-in lab' : undefined),
    }),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.duts.forEach((d, i) => {
      if (seen.has(d.name)) ctx.addIssue({ code: 'custom', path: ['duts', i, 'name'], message: `duplicate DUT name "${d.name}"` });
      seen.add(d.name);
    });
  });

export type Config = z.output<typeof configSchema>;
export type DutConfig = Config['duts'][number];
export type ContainerConfig = z.output<typeof container>;
