// Reads and validates the configuration file. Every problem is reported with its key path,
// all at once, so one `check-config` run shows everything to fix.
import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { findBenchmark } from '../benchmarks/index.js';
import { type Config, configSchema, type DutConfig } from './schema.js';

export interface ConfigIssue {
  path: string;
  message: string;
}

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

/** Secrets written into the file itself: refused with where to put them instead. */
const SECRET_KEYS: Record<string, string> = {
  password: 'secrets are not read from the configuration: use password_env or password_file',
  passphrase: 'secrets are not read from the configuration: use passphrase_env or passphrase_file',
};

/** `duts[0].benchmarks.sysbench.instances[2]` */
export function keyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.flatMap((issue): ConfigIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({ path: keyPath([...issue.path, k]), message: SECRET_KEYS[k] ?? 'unknown key' }));
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the alternative that got furthest, not a bare "invalid input".
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      const nested = best.map((i) => `${keyPath(i.path) || 'value'}: ${i.message}`).join('; ');
      return [{ path: keyPath(issue.path), message: nested || issue.message }];
    }
    return [{ path: keyPath(issue.path), message: issue.message }];
  });
}

function readable(file: string): string | undefined {
  try {
    accessSync(file, constants.R_OK);
    return undefined;
  } catch (err) {
    return `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}

/** A key or a password, each secret from exactly one place, and every place readable. */
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
  for (const key of ['identity_file', 'passphrase_file', 'password_file'] as const) {
    const file = dut[key];
    const problem = file === undefined ? undefined : readable(file);
    if (problem) issues.push({ path: at(key), message: problem });
  }
  for (const key of ['passphrase_env', 'password_env'] as const) {
    const name = dut[key];
    if (name !== undefined && process.env[name] === undefined)
      issues.push({ path: at(key), message: `environment variable ${name} is not set` });
  }
  return issues;
}

/** Checks that need more than one key, or the file system. */
function semanticIssues(cfg: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  cfg.duts.forEach((dut, i) => {
    const at = (...rest: PropertyKey[]) => keyPath(['duts', i, ...rest]);
    issues.push(...credentialIssues(dut, at));
    if ('known_hosts' in dut.host_key) {
      const khProblem = readable(dut.host_key.known_hosts);
      if (khProblem) issues.push({ path: at('host_key', 'known_hosts'), message: khProblem });
    }
    for (const [name, params] of Object.entries(dut.benchmarks)) {
      if (params === undefined) continue;
      for (const issue of findBenchmark(name)?.check?.(params as never, dut) ?? []) {
        issues.push({ path: at('benchmarks', name, ...issue.path), message: issue.message });
      }
    }
    if (Object.values(dut.benchmarks).every((p) => p === undefined)) {
      issues.push({ path: at('benchmarks'), message: 'lists no benchmark: nothing would run on this DUT' });
    }
  });
  return issues;
}

const MAX_ALIASES = 10_000;

export function parseConfig(text: string, file: string): Config {
  // merge keys, so that a lab of hundreds of DUTs can write `- <<: *first` and what differs
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}` })),
    );
  }
  let data: unknown;
  try {
    // yaml's default of 100 aliases refuses such a lab; the limit still stops exponential expansion
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `YAML: ${(err as Error).message} (more than ${MAX_ALIASES} alias expansions)` }]);
  }
  const result = configSchema.safeParse(data ?? {});
  if (!result.success) throw new ConfigError(file, zodIssues(result.error));
  const issues = semanticIssues(result.data);
  if (issues.length > 0) throw new ConfigError(file, issues);
  // like Prometheus' rule_files: relative to the configuration file, not to the working directory
  return { ...result.data, journal: { ...result.data.journal, path: resolve(dirname(file), result.data.journal.path) } };
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
