// Reads and validates the configuration file. Every problem is reported with its key path,
// all at once, so one `check-config` run shows everything to fix.
import { accessSync, constants, readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { findBenchmark } from '../benchmarks/index.js';
import { type Config, configSchema } from './schema.js';

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

/** `duts[0].benchmarks.sysbench.instances[2]` */
export function keyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.flatMap((issue): ConfigIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({ path: keyPath([...issue.path, k]), message: 'unknown key' }));
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

/** Checks that need more than one key, or the file system. */
function semanticIssues(cfg: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  cfg.duts.forEach((dut, i) => {
    const at = (...rest: PropertyKey[]) => keyPath(['duts', i, ...rest]);
    const keyProblem = readable(dut.identity_file);
    if (keyProblem) issues.push({ path: at('identity_file'), message: keyProblem });
    if ('known_hosts' in dut.host_key) {
      const khProblem = readable(dut.host_key.known_hosts);
      if (khProblem) issues.push({ path: at('host_key', 'known_hosts'), message: khProblem });
    }
    if (dut.passphrase_env && process.env[dut.passphrase_env] === undefined) {
      issues.push({ path: at('passphrase_env'), message: `environment variable ${dut.passphrase_env} is not set` });
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

export function parseConfig(text: string, file: string): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}` })),
    );
  }
  const result = configSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) throw new ConfigError(file, zodIssues(result.error));
  const issues = semanticIssues(result.data);
  if (issues.length > 0) throw new ConfigError(file, issues);
  return result.data;
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
