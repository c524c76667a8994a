// zod's issues as the configuration's messages: the key path, what is wrong in the file's terms
// (a "mapping", a "list"), the value that was given, and for a misspelt key the one meant.
import type { z } from 'zod';
import { ZERO_DURATION, zeroDurationMessage } from './fields.js';
import { closestKey } from './suggest.js';

/** A problem in the configuration or the web configuration, at its key path ('' for the file). */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** `duts[0].benchmarks.sysbench.instances[2]` */
export function keyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

/** Secrets written into the file itself: refused with where to put them instead. */
const SECRET_KEYS: Record<string, string> = {
  password: 'secrets are not read from the configuration: use password_env or password_file',
  passphrase: 'secrets are not read from the configuration: use passphrase_env or passphrase_file',
};

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

/** The message of an invalid union that no schema-level message replaced: the formatter looks inside. */
const NO_FORM = 'matches none of its forms';

/** zod's default messages in YAML's terms; a schema's own message still wins over these. */
export const errorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      return iss.input === undefined ? 'required' : `must be ${TYPE_NAMES[iss.expected] ?? iss.expected}`;
    case 'invalid_union':
      return iss.input === undefined ? 'required' : NO_FORM;
    case 'invalid_value':
      return `must be ${iss.values.length === 1 ? '' : 'one of '}${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
    case 'too_big': {
      const [word, bound] = iss.code === 'too_small' ? ['least', iss.minimum] : ['most', iss.maximum];
      if (iss.origin === 'array') return bound === 1 && word === 'least' ? 'must not be empty' : `must have at ${word} ${bound} item(s)`;
      if (iss.origin === 'string') return bound === 1 && word === 'least' ? 'must not be empty' : `must be at ${word} ${bound} characters`;
      return iss.inclusive === false ? `must be ${word === 'least' ? 'more' : 'less'} than ${bound}` : `must be at ${word} ${bound}`;
    }
    default:
      return undefined;
  }
};

/** The given value, short: a long string is cut, and a mapping is not spelt out. */
function describe(input: unknown): string {
  if (Array.isArray(input)) {
    const text = JSON.stringify(input);
    return text.length <= 60 ? text : `a list of ${input.length}`;
  }
  if (typeof input === 'object' && input !== null) return 'a mapping';
  if (typeof input === 'string' && input.length > 60) return `${JSON.stringify(input.slice(0, 57))}…`;
  return input === undefined ? 'nothing' : JSON.stringify(input);
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// --- the schema's keys, for suggestions --------------------------------------------------------

interface LooseDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  options?: z.ZodType[];
  innerType?: z.ZodType;
  in?: z.ZodType;
  getter?: () => z.ZodType;
}
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: LooseDef } })._zod.def;

/** The schemas a value may match, through defaults, transforms and unions. */
function forms(schema: z.ZodType): z.ZodType[] {
  const def = defOf(schema);
  if (def.innerType) return forms(def.innerType);
  if (def.type === 'pipe' && def.in) return forms(def.in);
  if (def.type === 'lazy' && def.getter) return forms(def.getter());
  if (def.type === 'union' && def.options) return def.options.flatMap(forms);
  return [schema];
}

/** Every key a mapping at `path` may have, in the schema's order. */
export function keysAt(root: z.ZodType, path: readonly PropertyKey[]): string[] {
  let schemas = [root];
  for (const segment of path) {
    schemas = schemas.flatMap(forms).flatMap((s) => {
      const def = defOf(s);
      if (typeof segment === 'number') return def.element ? [def.element] : [];
      const child = def.shape?.[String(segment)];
      return child ? [child] : [];
    });
  }
  const keys = schemas.flatMap(forms).flatMap((s) => Object.keys(defOf(s).shape ?? {}));
  return [...new Set(keys)];
}

// --- issues ------------------------------------------------------------------------------------

interface RawIssue {
  path: PropertyKey[];
  message: string;
  /** For an unknown key: the key suggested, so that its own "required" is not reported too. */
  suggested?: string;
}

function unknownKeys(root: z.ZodType, at: PropertyKey[], keys: string[], input: unknown): RawIssue[] {
  const present = new Set(isMapping(input) ? Object.keys(input) : []);
  const known = keysAt(root, at).filter((k) => !present.has(k));
  return keys.map((key) => {
    const secret = SECRET_KEYS[key];
    if (secret) return { path: [...at, key], message: secret };
    const suggested = closestKey(key, known);
    return suggested === undefined
      ? { path: [...at, key], message: 'unknown key' }
      : { path: [...at, key], message: `unknown key; did you mean "${suggested}"?`, suggested };
  });
}

/** A union none of whose forms matched: report the form the value was meant to be. */
function unionIssues(root: z.ZodType, issue: z.core.$ZodIssueInvalidUnion, at: PropertyKey[]): RawIssue[] {
  const input = issue.input;
  // the union's own message: about a mapping it says what is wrong, about a value it quotes it
  if (input === undefined || issue.message !== NO_FORM)
    return [isMapping(input) ? { path: at, message: issue.message } : leafIssue(issue, at)];
  // a form whose very type differs (a number for a mapping) was not the one meant
  const typeMismatch = (errors: z.core.$ZodIssue[]) => errors.some((e) => e.code === 'invalid_type' && e.path.length === 0);
  const candidates = issue.errors.filter((errors) => !typeMismatch(errors));
  if (isMapping(input)) {
    const unknownIn = (errors: z.core.$ZodIssue[]) =>
      new Set(errors.flatMap((e) => (e.code === 'unrecognized_keys' && e.path.length === 0 ? e.keys : [])));
    // the forms that know at least one of the keys given
    const meant = candidates.filter((errors) => Object.keys(input).some((k) => !unknownIn(errors).has(k)));
    if (meant.length >= 2) {
      const given = Object.keys(input).filter((k) => meant.some((errors) => !unknownIn(errors).has(k)));
      return [{ path: at, message: `give only one of ${keysAt(root, at).join(', ')} (got ${given.join(' and ')})` }];
    }
    const [only] = meant;
    if (only) return only.flatMap((e) => convert(root, e, at));
    const keys = Object.keys(input);
    if (keys.length > 0) return unknownKeys(root, at, keys, input);
    return [{ path: at, message: `must have one of the keys ${keysAt(root, at).join(', ')}` }];
  }
  const [best] = candidates.sort((a, b) => a.length - b.length);
  if (best) return best.flatMap((e) => convert(root, e, at));
  const expected = issue.errors.flatMap((errors) =>
    errors.flatMap((e) => (e.code === 'invalid_type' ? [TYPE_NAMES[e.expected] ?? e.expected] : [])),
  );
  return [{ path: at, message: `must be ${[...new Set(expected)].join(' or ')}, got ${describe(input)}` }];
}

/** Where a user may paste the secret instead of the variable's name: never echoed to a log. */
const UNQUOTED = new Set(['passphrase_env', 'password_env']);

/** One message, with the value given unless the message already shows it or there is none. */
function leafIssue(issue: z.core.$ZodIssue, path: PropertyKey[]): RawIssue {
  const key = String([...path].reverse().find((k) => typeof k === 'string') ?? '');
  if (issue.code === 'custom' && issue.params?.[ZERO_DURATION]) return { path, message: zeroDurationMessage(key) };
  const shown = issue.input === undefined || issue.message.includes(', got ') || UNQUOTED.has(key);
  return { path, message: shown ? issue.message : `${issue.message}, got ${describe(issue.input)}` };
}

function convert(root: z.ZodType, issue: z.core.$ZodIssue, prefix: PropertyKey[]): RawIssue[] {
  const at = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys') return unknownKeys(root, at, issue.keys, issue.input);
  if (issue.code === 'invalid_union') return unionIssues(root, issue, at);
  return [leafIssue(issue, at)];
}

/**
 * The configuration's issues from zod's, parsed with `errorMap` and `reportInput: true`. A key
 * reported unknown with a suggestion is not also reported missing: `dut:` gets "did you mean
 * duts", not a second line asking for `duts`.
 */
export function zodIssues(root: z.ZodType, error: z.ZodError): ConfigIssue[] {
  const raw = error.issues.flatMap((issue) => convert(root, issue, []));
  const meant = new Set(raw.flatMap((i) => (i.suggested === undefined ? [] : [keyPath([...i.path.slice(0, -1), i.suggested])])));
  return raw
    .filter((i) => !(i.message.startsWith('required') && meant.has(keyPath(i.path))))
    .map((i) => ({ path: keyPath(i.path), message: i.message }));
}
