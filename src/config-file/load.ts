// Reads and validates the configuration file. Every problem is reported with its key path,
// all at once, so one `check-config` run shows everything to fix.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { benchmarkNames, checkBenchmark } from '../benchmarks/index.js';
import { type ConfigIssue, keyPath } from '../config/issues.js';
import { parseYaml } from '../config/yaml-input.js';
import { type Config, configSchema, type DutConfig, dutSchema } from './schema.js';

// ConfigError's issues, for its callers
export type { ConfigIssue } from '../config/issues.js';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      `${file}: ${issues.length} error(s) in the configuration:\n${issues.map((i) => `  ${i.path || '(top)'}: ${i.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

function readable(file: string): string | undefined {
  try {
    accessSync(file, constants.R_OK);
    // access() says yes to a directory, and to root for any file
    return statSync(file).isDirectory() ? `cannot read ${file}: EISDIR` : undefined;
  } catch (err) {
    return `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}

/** The keys of a DUT that name a file on the test machine, as key paths within the DUT. */
const FILE_KEYS = [['identity_file'], ['passphrase_file'], ['password_file'], ['host_key', 'known_hosts']] as const;

/** A DUT's file paths, relative ones made relative to `base` (the configuration file's directory). */
function resolveDutFiles(dut: DutConfig, base: string): DutConfig {
  const at = (p: string | undefined) => (p === undefined ? undefined : resolve(base, p));
  return {
    ...dut,
    identity_file: at(dut.identity_file),
    passphrase_file: at(dut.passphrase_file),
    password_file: at(dut.password_file),
    host_key: 'known_hosts' in dut.host_key ? { known_hosts: resolve(base, dut.host_key.known_hosts) } : dut.host_key,
  };
}

/**
 * Every file a DUT names that cannot be read, from the raw document: checked whether or not the
 * rest of the DUT is valid, so that one run reports the schema's errors and the files' together.
 */
function fileIssues(raw: unknown, base: string, at: (...rest: PropertyKey[]) => string): ConfigIssue[] {
  return FILE_KEYS.flatMap((keys) => {
    const value = keys.reduce<unknown>(
      (v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined),
      raw,
    );
    // anything but a path is the schema's to report
    const problem = typeof value === 'string' && value !== '' ? readable(resolve(base, value)) : undefined;
    return problem ? [{ path: at(...keys), message: problem }] : [];
  });
}

/** A key or a password, each secret from exactly one place. */
function credentialIssues(dut: DutConfig, at: (...rest: PropertyKey[]) => string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const both = (a: keyof DutConfig, b: keyof DutConfig) => {
    if (dut[a] !== undefined && dut[b] !== undefined) issues.push({ path: at(b), message: `give ${a} or ${b}, not both` });
  };
  both('passphrase_env', 'passphrase_file');
  both('password_env', 'password_file');
  const password = dut.password_env ?? dut.password_file;
  if (dut.identity_file === undefined && password === undefined) {
    issues.push({ path: at('identity_file'), message: 'required: a private key (or password_env / password_file for a DUT without keys)' });
  }
  if (dut.identity_file === undefined && (dut.passphrase_env ?? dut.passphrase_file) !== undefined) {
    issues.push({ path: at('identity_file'), message: 'required with a passphrase: the passphrase unlocks this key' });
  }
  return issues;
}

function envIssues(dut: DutConfig, at: (...rest: PropertyKey[]) => string): ConfigIssue[] {
  return (['passphrase_env', 'password_env'] as const).flatMap((key) => {
    const name = dut[key];
    return name !== undefined && process.env[name] === undefined
      ? [{ path: at(key), message: `environment variable ${name} is not set` }]
      : [];
  });
}

/** What one key cannot tell: checks across a DUT's keys, its benchmarks' own checks. */
function dutIssues(dut: DutConfig, at: (...rest: PropertyKey[]) => string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const name of benchmarkNames) {
    const params = dut.benchmarks[name];
    if (params === undefined) continue;
    for (const issue of checkBenchmark(name, params, dut)) {
      issues.push({ path: at('benchmarks', name, ...issue.path), message: issue.message });
    }
  }
  if (Object.values(dut.benchmarks).every((p) => p === undefined)) {
    issues.push({ path: at('benchmarks'), message: 'lists no benchmark: nothing would run on this DUT' });
  }
  return issues;
}

/**
 * The checks beyond the schema, for each DUT of the raw document: its files always, the rest when
 * the DUT itself is valid (whatever errors other DUTs or other keys have).
 */
function semanticIssues(data: unknown, base: string): ConfigIssue[] {
  const duts = typeof data === 'object' && data !== null ? (data as { duts?: unknown }).duts : undefined;
  if (!Array.isArray(duts)) return [];
  return duts.flatMap((raw, i) => {
    const at = (...rest: PropertyKey[]) => keyPath(['duts', i, ...rest]);
    const parsed = dutSchema.safeParse(raw);
    if (!parsed.success) return fileIssues(raw, base, at);
    return [
      ...credentialIssues(parsed.data, at),
      ...fileIssues(raw, base, at),
      ...envIssues(parsed.data, at),
      ...dutIssues(parsed.data, at),
    ];
  });
}

export function parseConfig(text: string, file: string): Config {
  const input = parseYaml(text, configSchema, 'config');
  const base = dirname(resolve(file));
  // all at once: the schema's errors, then each DUT's files and checks (none when the YAML failed)
  const issues = [...(input.ok ? [] : input.issues), ...semanticIssues(input.raw, base)];
  if (!input.ok || issues.length > 0) throw new ConfigError(file, issues);
  const config = input.value;
  // like Prometheus' rule_files: relative to the configuration file, not to the working directory
  return {
    ...config,
    journal: { ...config.journal, path: resolve(base, config.journal.path) },
    duts: config.duts.map((dut) => resolveDutFiles(dut, base)),
  };
}

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the file: ${(err as Error).message}` }]);
  }
  return parseConfig(text, file);
}
