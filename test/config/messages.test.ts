// Issue 16, "configuration that helps": each error in the words a new user needs, with its key
// path, the value given, the key meant; every path relative to the configuration file; every
// error, files included, in one report; durations as Prometheus reads them.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/config/duration.js';
import { ConfigError, type ConfigIssue, loadConfig, parseConfig } from '../../src/config-file/load.js';

const FP = 'SHA256:E+nYo9r5ZtG0yWvS8fQ2mXbL7cK1dH3jP4aR6uT0DoK';
const HOST_KEY_FORMS =
  'host_key: { fingerprint: "SHA256:…" } (ssh-keyscan -t ed25519 HOST | ssh-keygen -lf -), { known_hosts: FILE }, or { insecure_skip_verify: true } for a first bring-up';

let dir: string;
let file: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebench-messages-'));
  mkdirSync(join(dir, 'keys'));
  for (const name of ['id_ed25519', 'known_hosts', 'passphrase', 'password']) writeFileSync(join(dir, 'keys', name), 'x\n');
  file = join(dir, 'edgebench.yml');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One DUT in flow style; `fields` replace or add to its keys ("key: undefined" drops one). */
function dutYaml(fields: Record<string, string | undefined> = {}): string {
  const base: Record<string, string | undefined> = {
    name: 'dut1',
    host: '192.0.2.1',
    identity_file: 'keys/id_ed25519',
    host_key: `{ fingerprint: "${FP}" }`,
    benchmarks: '{ sysbench: { modes: [native] } }',
    ...fields,
  };
  return `duts:\n  - ${Object.entries(base)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n    ')}\n`;
}

function issuesOf(text: string): ConfigIssue[] {
  try {
    parseConfig(text, file);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError, but the configuration was accepted');
}

describe('duts', () => {
  it('is required: a file without it is an error, not the built-in lab', () => {
    expect(issuesOf('listen: ":9877"\n')).toEqual([{ path: 'duts', message: 'required; write `duts: []` to measure the built-in lab' }]);
    expect(issuesOf('')).toEqual([{ path: 'duts', message: 'required; write `duts: []` to measure the built-in lab' }]);
  });

  it('may be empty when said so', () => {
    expect(parseConfig('duts: []\n', file).duts).toEqual([]);
  });
});

describe('unknown keys suggest the key meant, at their level', () => {
  it.each([
    ['dut: []\n', 'dut', 'unknown key; did you mean "duts"?'],
    [dutYaml({ host: undefined, hots: '192.0.2.1' }), 'duts[0].hots', 'unknown key; did you mean "host"?'],
    [dutYaml({ prot: '22' }), 'duts[0].prot', 'unknown key; did you mean "port"?'],
    [dutYaml({ identity: 'keys/id_ed25519', identity_file: undefined }), 'duts[0].identity', 'unknown key; did you mean "identity_file"?'],
    [`schedule: { intervall: 5m }\nduts: []\n`, 'schedule.intervall', 'unknown key; did you mean "interval"?'],
    [dutYaml({ host_key: `{ fingerprnt: "${FP}" }` }), 'duts[0].host_key.fingerprnt', 'unknown key; did you mean "fingerprint"?'],
    [dutYaml({ benchmarks: '{ iperf: {} }' }), 'duts[0].benchmarks.iperf', 'unknown key; did you mean "iperf3"?'],
    [
      dutYaml({ benchmarks: '{ sysbench: { timeouts: 5m } }' }),
      'duts[0].benchmarks.sysbench.timeouts',
      'unknown key; did you mean "timeout"?',
    ],
  ])('%j', (text, path, message) => {
    // the key meant is not reported missing as well
    expect(issuesOf(text)).toEqual([{ path, message }]);
  });

  it('suggests nothing when no key is close, nor a key already given', () => {
    expect(issuesOf(dutYaml({ bogus: '1' }))).toEqual([{ path: 'duts[0].bogus', message: 'unknown key' }]);
    expect(issuesOf(dutYaml({ hosts: '192.0.2.2' }))).toEqual([{ path: 'duts[0].hosts', message: 'unknown key' }]);
  });
});

describe('host_key', () => {
  it('missing: says which form to write', () => {
    expect(issuesOf(dutYaml({ host_key: undefined }))).toEqual([
      { path: 'duts[0].host_key', message: `required: write ${HOST_KEY_FORMS}` },
    ]);
  });

  it('empty, or not a mapping: the same forms', () => {
    expect(issuesOf(dutYaml({ host_key: '{}' }))).toEqual([{ path: 'duts[0].host_key', message: `is empty: write ${HOST_KEY_FORMS}` }]);
    expect(issuesOf(dutYaml({ host_key: `"${FP}"` }))).toEqual([
      { path: 'duts[0].host_key', message: `must be a mapping: write ${HOST_KEY_FORMS}, got "${FP}"` },
    ]);
  });

  it('two forms at once', () => {
    expect(issuesOf(dutYaml({ host_key: `{ fingerprint: "${FP}", known_hosts: keys/known_hosts }` }))).toEqual([
      {
        path: 'duts[0].host_key',
        message: 'give only one of fingerprint, known_hosts, insecure_skip_verify (got fingerprint and known_hosts)',
      },
    ]);
  });
});

describe('the value given is quoted', () => {
  it.each([
    [dutYaml({ port: '70000' }), 'duts[0].port', 'must be 1-65535, got 70000'],
    [dutYaml({ port: '"22"' }), 'duts[0].port', 'must be a number, got "22"'],
    [`schedule: { interval: 15 minutes }\nduts: []\n`, 'schedule.interval', 'must be a duration such as "15m", got "15 minutes"'],
    [`schedule: { interval: 15 }\nduts: []\n`, 'schedule.interval', 'must be a duration such as "15m", got 15'],
    [
      dutYaml({ name: '"a;reboot"' }),
      'duts[0].name',
      'must be 1-64 characters of [A-Za-z0-9_.-], starting with a letter or digit, got "a;reboot"',
    ],
    [
      dutYaml({ benchmarks: '{ sysbench: { modes: [docker] } }' }),
      'duts[0].benchmarks.sysbench.modes[0]',
      'must be one of "native", "lxc", got "docker"',
    ],
    [dutYaml({ benchmarks: '{ sysbench: { instances: [0] } }' }), 'duts[0].benchmarks.sysbench.instances[0]', 'must be at least 1, got 0'],
    [dutYaml({ benchmarks: '{ sysbench: { modes: [] } }' }), 'duts[0].benchmarks.sysbench.modes', 'must not be empty, got []'],
    [`repetitions: 0\nduts: []\n`, 'repetitions', 'must be at least 1, got 0'],
    [`repetitions: many\nduts: []\n`, 'repetitions', 'must be a number or a mapping, got "many"'],
    [
      dutYaml({ host_key: '{ insecure_skip_verify: false }' }),
      'duts[0].host_key.insecure_skip_verify',
      'must be true (or pin the key with fingerprint or known_hosts), got false',
    ],
  ])('%j', (text, path, message) => {
    expect(issuesOf(text)).toEqual([{ path, message }]);
  });

  it('does not quote what may be a secret pasted in place of a variable name', () => {
    expect(issuesOf(dutYaml({ passphrase_env: '"correct horse battery"' }))).toEqual([
      { path: 'duts[0].passphrase_env', message: 'must be an environment variable name' },
    ]);
    expect(issuesOf(dutYaml({ password_env: '"hunter2!"' }))).toEqual([
      { path: 'duts[0].password_env', message: 'must be an environment variable name' },
    ]);
  });

  it('says "required" for a key that is missing, with no value to quote', () => {
    expect(issuesOf(dutYaml({ name: undefined }))).toEqual([{ path: 'duts[0].name', message: 'required' }]);
  });
});

describe('durations, as Prometheus parses them', () => {
  it.each([
    ['1y', 365 * 86_400_000],
    ['1w', 7 * 86_400_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1m30s500ms', 90_500],
    ['1ms', 1],
    ['1y1w1d1h1m1s1ms', 32_230_861_001],
    ['0', 0],
    ['0s', 0],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', '30m1h', '1h1h', '1h30m1h', '1.5s', '-5s', '5 minutes', '5min', '1H', '293y', `${'9'.repeat(400)}ms`])(
    'refuses %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );

  it('accepts the largest duration Go holds, 2^63-1 ns', () => {
    expect(parseDuration('9223372036854ms')).toBe(9_223_372_036_854);
    expect(parseDuration('9223372036855ms')).toBeUndefined();
  });

  const interval = (text: string) => issuesOf(`schedule: { interval: "${text}" }\nduts: []\n`);

  it.each([
    ['30m1h', 'must be a duration such as "15m", got "30m1h": units go from the largest to the smallest (y, w, d, h, m, s, ms)'],
    ['1h1h', 'must be a duration such as "15m", got "1h1h": each unit at most once'],
    ['1h30m1h', 'must be a duration such as "15m", got "1h30m1h": each unit at most once'],
    ['15', 'must be a duration such as "15m", got "15": a number needs a unit (y, w, d, h, m, s, ms)'],
    ['1y', 'must be at most 24d, got "1y"'],
    ['300y', 'must be at most 24d, got "300y"'],
  ])('schedule.interval %j', (text, message) => {
    expect(interval(text)).toEqual([{ path: 'schedule.interval', message }]);
  });

  it('takes 1h30m, 1w and 2d as an interval', () => {
    expect(parseConfig('schedule: { interval: 1h30m }\nduts: []\n', file).schedule).toEqual({ interval: 5_400_000 });
    expect(parseConfig('schedule: { interval: 1w }\nduts: []\n', file).schedule).toEqual({ interval: 7 * 86_400_000 });
    expect(parseConfig('journal: { retention: 1y }\nduts: []\n', file).journal.retention).toBe(365 * 86_400_000);
  });

  it.each([
    [`schedule: { interval: "0" }\nduts: []\n`, 'schedule.interval', 'must be more than 0: a round would start again at once'],
    [`schedule: { interval: 0s }\nduts: []\n`, 'schedule.interval', 'must be more than 0: a round would start again at once'],
    [dutYaml({ connect_timeout: '"0"' }), 'duts[0].connect_timeout', 'must be more than 0: every connection would time out at once'],
    [
      dutYaml({ benchmarks: '{ sysbench: { modes: [native], timeout: 0ms } }' }),
      'duts[0].benchmarks.sysbench.timeout',
      'must be more than 0: every repetition would time out at once',
    ],
    [
      dutYaml({ benchmarks: '{ nuttcp: { duration: 0s } }' }),
      'duts[0].benchmarks.nuttcp.duration',
      'must be more than 0: a test of no time measures nothing',
    ],
    [`journal: { retention: "0" }\nduts: []\n`, 'journal.retention', 'must be more than 0: every job would be deleted after its round'],
  ])('refuses 0 where it makes no sense, saying why: %j', (text, path, message) => {
    expect(issuesOf(text)).toEqual([{ path, message }]);
  });
});

describe('paths relative to the configuration file', () => {
  type Loaded = ReturnType<typeof loadConfig>;
  const relative: [key: string, text: string, get: (c: Loaded) => string | undefined, relativePath: string][] = [
    ['identity_file', dutYaml({ identity_file: 'keys/id_ed25519' }), (c) => c.duts[0]?.identity_file, 'keys/id_ed25519'],
    ['passphrase_file', dutYaml({ passphrase_file: 'keys/passphrase' }), (c) => c.duts[0]?.passphrase_file, 'keys/passphrase'],
    [
      'password_file',
      dutYaml({ identity_file: undefined, password_file: 'keys/password' }),
      (c) => c.duts[0]?.password_file,
      'keys/password',
    ],
    [
      'host_key.known_hosts',
      dutYaml({ host_key: '{ known_hosts: keys/known_hosts }' }),
      (c) => (c.duts[0]?.host_key as { known_hosts?: string } | undefined)?.known_hosts,
      'keys/known_hosts',
    ],
    ['journal.path', 'journal: { path: data/journal.sqlite }\nduts: []\n', (c) => c.journal.path, 'data/journal.sqlite'],
  ];

  it.each(relative)('%s, wherever edgebench runs from', (_key, text, get, relativePath) => {
    writeFileSync(file, text);
    const cwd = process.cwd();
    process.chdir(tmpdir());
    try {
      expect(get(loadConfig(file))).toBe(join(dir, relativePath));
    } finally {
      process.chdir(cwd);
    }
  });

  it('checks a relative file where it will be read, and names it so', () => {
    expect(issuesOf(dutYaml({ identity_file: 'keys/missing' }))).toEqual([
      { path: 'duts[0].identity_file', message: `cannot read ${join(dir, 'keys/missing')}: ENOENT` },
    ]);
  });

  it('keeps absolute paths as they are', () => {
    const absolute = join(dir, 'keys', 'id_ed25519');
    expect(parseConfig(dutYaml({ identity_file: absolute }), file).duts[0]?.identity_file).toBe(absolute);
  });
});

describe('every error at once, the files with the schema', () => {
  it('reports schema errors and unreadable files of the same and other DUTs together', () => {
    // root reads a file whatever its mode: there, a directory is the known_hosts that cannot be read
    const unreadable = join(dir, 'keys', 'unreadable');
    writeFileSync(unreadable, 'x\n');
    chmodSync(unreadable, 0);
    const knownHosts = process.getuid?.() === 0 ? 'keys' : 'keys/unreadable';
    const text = [
      'listen: nowhere',
      'duts:',
      `  - { name: dut1, host: 192.0.2.1, port: 70000, identity_file: keys/missing, host_key: { known_hosts: ${knownHosts} },`,
      '      passphrase_file: keys/no-passphrase, benchmarks: { sysbench: { modes: [native] } } }',
      `  - { name: dut2, host: 192.0.2.2, identity_file: keys/id_ed25519, password_file: nothing-here, host_key: { fingerprint: "${FP}" },`,
      '      benchmarks: { sysbench: { modes: [native] } } }',
    ].join('\n');
    const issues = issuesOf(text);
    expect(issues).toEqual([
      { path: 'listen', message: 'must be "address:port", e.g. "0.0.0.0:9877" or ":9877", got "nowhere"' },
      { path: 'duts[0].port', message: 'must be 1-65535, got 70000' },
      { path: 'duts[0].identity_file', message: `cannot read ${join(dir, 'keys/missing')}: ENOENT` },
      { path: 'duts[0].passphrase_file', message: `cannot read ${join(dir, 'keys/no-passphrase')}: ENOENT` },
      {
        path: 'duts[0].host_key.known_hosts',
        message: `cannot read ${join(dir, knownHosts)}: ${process.getuid?.() === 0 ? 'EISDIR' : 'EACCES'}`,
      },
      { path: 'duts[1].password_file', message: `cannot read ${join(dir, 'nothing-here')}: ENOENT` },
    ]);
  });
});

describe('YAML errors', () => {
  it('end at the position, without the colon of the excerpt', () => {
    expect(issuesOf('duts: [\n')).toEqual([
      { path: '', message: 'YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1' },
    ]);
  });
});
