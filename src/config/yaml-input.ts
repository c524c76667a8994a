// YAML text to a value of a zod schema, every problem as a key path and a message: the one way
// the configuration and the web configuration are read, so both report errors alike.
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { type ConfigIssue, errorMap, keyPath, zodIssues } from './issues.js';

/** yaml's default of 100 refuses a lab of hundreds of merged DUTs; a limit still stops exponential expansion. */
const MAX_ALIASES = 10_000;

/** `raw` is the document as plain data, for checks beyond the schema; undefined when the YAML itself failed. */
export type YamlInput<T> = { ok: true; value: T; raw: unknown } | { ok: false; issues: ConfigIssue[]; raw: unknown };

/**
 * `config`: the configuration's messages in the file's terms, with suggestions (issues.ts);
 * `zod`: zod's own, which the web configuration's users and fixtures know (`Invalid option`).
 */
export type Messages = 'config' | 'zod';

function schemaIssues(error: z.ZodError, root: z.ZodType, messages: Messages): ConfigIssue[] {
  if (messages === 'config') return zodIssues(root, error);
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: keyPath([...issue.path, key]), message: 'unknown key' }))
      : [{ path: keyPath(issue.path), message: issue.message }],
  );
}

/**
 * The text as a value of `schema`, or its issues: YAML's own (the first line of each, no key path),
 * else all of the schema's, each at its key path.
 */
export function parseYaml<S extends z.ZodType>(text: string, schema: S, messages: Messages): YamlInput<z.output<S>> {
  // merge keys, so that a lab of hundreds of DUTs can write `- <<: *first` and what differs
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    // the first line, without the colon that introduced yaml's excerpt of the file
    const issues = doc.errors.map((e) => ({ path: '', message: `YAML: ${(e.message.split('\n')[0] ?? '').replace(/:$/, '')}` }));
    return { ok: false, issues, raw: undefined };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    // the alias limit is a ReferenceError; a merge of a non-mapping (`<<: [1]`) an Error of its own
    const limit = err instanceof ReferenceError ? ` (more than ${MAX_ALIASES} alias expansions)` : '';
    return { ok: false, issues: [{ path: '', message: `YAML: ${(err as Error).message}${limit}` }], raw: undefined };
  }
  // an empty file is an empty mapping; zodIssues works from errorMap's messages and the values given
  const result = schema.safeParse(raw ?? {}, messages === 'config' ? { error: errorMap, reportInput: true } : {});
  return result.success ? { ok: true, value: result.data, raw } : { ok: false, issues: schemaIssues(result.error, schema, messages), raw };
}
