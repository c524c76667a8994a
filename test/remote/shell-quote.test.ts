import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from '../../src/remote/shell-quote.js';

const BUSYBOX = '/bin/busybox';

beforeAll(() => {
  if (!existsSync(BUSYBOX)) {
    throw new Error(`${BUSYBOX} is missing: these tests run the quoting through a real busybox sh (apt-get install busybox)`);
  }
});

/** Runs a script with `busybox sh -c` and returns its stdout, bytes as they are. */
function sh(script: string): Buffer {
  return execFileSync(BUSYBOX, ['sh', '-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/root' } });
}

/** A small seeded PRNG (mulberry32), so that a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const UNICODE = ['é', 'ß', '€', '日本', '🙂', '\u00a0', '\u2028', 'Ω'];

function randomStrings(count: number, seed: number): string[] {
  const rand = prng(seed);
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    const len = Math.floor(rand() * 40);
    let s = '';
    for (let i = 0; i < len; i++) {
      s += rand() < 0.1 ? (UNICODE[Math.floor(rand() * UNICODE.length)] as string) : String.fromCharCode(1 + Math.floor(rand() * 0x7f));
    }
    out.push(s);
  }
  return out;
}

const PRINTABLE = Array.from({ length: 127 - 32 }, (_, i) => String.fromCharCode(32 + i)).join('');

const SPECIAL: [string, string][] = [
  ['empty string', ''],
  ['a plain word', 'sysbench'],
  ['a safe path', '/usr/bin/sysbench'],
  ['an option', '--cpu-max-prime=10000'],
  ['spaces', 'a b  c'],
  ['only a space', ' '],
  ['leading and trailing spaces', '  x  '],
  ['a single quote', "'"],
  ['single quotes', "it's 'quoted'"],
  ['consecutive single quotes', "'''"],
  ['double quotes', 'say "hi"'],
  ['backslashes', 'a\\b\\\\c\\'],
  ['backslash before a quote', "\\'"],
  ['$HOME', '$HOME'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
  ['braced parameter expansion', '${HOME}'],
  ['backticks', '`id`'],
  ['command substitution', '$(id)'],
  ['arithmetic expansion', '$((1+1))'],
  ['$@ and $*', '$@ $* $# $? $$ $!'],
  ['a newline', 'a\nb'],
  ['only newlines', '\n\n'],
  ['a trailing newline', 'x\n'],
  ['tabs', 'a\tb\t'],
  ['glob characters', '*?[a-z]'],
  ['a lone star', '*'],
  ['a tilde', '~'],
  ['tilde user', '~root/x'],
  ['semicolons', 'a;b;;c'],
  ['pipes and ampersands', 'a|b&&c||d&'],
  ['redirections', '>x <y 2>&1'],
  ['parentheses and braces', '(a) {b} [c]'],
  ['a comment', '#not a comment'],
  ['an assignment-looking word', 'A=1'],
  ['a percent sign', '100%'],
  ['a reserved word', 'done'],
  ['unicode', 'héllo wörld 日本語 🙂'],
  ['leading dash', '-n'],
  ['leading dashes', '--'],
  ['a lone dash', '-'],
  ['printf escapes', '%s %d \\n \\0'],
  ['control characters', '\x01\x07\x1b[31m\x7f'],
  ['carriage return', 'a\r\nb'],
  ['all printable ASCII', PRINTABLE],
];

describe('shellQuote: round trip through busybox sh', () => {
  it.each(SPECIAL)('%s', (_what, value) => {
    expect(sh(`printf '%s' ${shellQuote(value)}`)).toEqual(Buffer.from(value));
  });

  it.each(Array.from({ length: 127 }, (_, i) => String.fromCharCode(i + 1)).map((c) => [c.charCodeAt(0), c]))(
    'the single character %i',
    (_code, c) => {
      expect(sh(`printf '%s' ${shellQuote(c)}`)).toEqual(Buffer.from(c));
      expect(sh(`printf '%s' ${shellQuote(`x${c}y${c}`)}`)).toEqual(Buffer.from(`x${c}y${c}`));
    },
  );

  const random = randomStrings(200, 20240601);
  it.each(random.map((s, i) => [i, s]))('random string #%i', (_i, value) => {
    expect(sh(`printf '%s' ${shellQuote(value)}`)).toEqual(Buffer.from(value));
  });

  it('one quoted value is one word, whatever it contains', () => {
    for (const value of ['', 'a b', '*', 'a\nb', '$(id) `id`', PRINTABLE]) {
      expect(sh(`set -- ${shellQuote(value)}; printf '%s' "$#"`).toString()).toBe('1');
    }
  });
});

describe('shellQuote: form', () => {
  it('leaves words of the safe alphabet alone', () => {
    for (const word of ['sysbench', '/usr/bin/sysbench', '--events=10000', 'user@host:22', '10%', 'a+b', 'x.y_z-1']) {
      expect(shellQuote(word)).toBe(word);
    }
  });

  it('single-quotes everything else', () => {
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote('$HOME')).toBe("'$HOME'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it('throws on a NUL byte', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
    expect(() => shellQuote('\0')).toThrow(/NUL/);
    expect(() => shellCommand(['ok', 'bad\0'])).toThrow(/NUL/);
  });
});

describe('shellCommand', () => {
  /** The words busybox sh passes to printf, each terminated by NUL. */
  function words(argv: readonly string[]): string[] {
    const out = sh(`printf '%s\\0' ${shellCommand(argv)}`).toString('utf8');
    expect(out.endsWith('\0')).toBe(true);
    return out.slice(0, -1).split('\0');
  }

  it('passes each argument as exactly one word', () => {
    const argv = ['sysbench', 'cpu', '--cpu-max-prime=10000', 'a b', '', "it's", '$(id)', '`id`', '*', 'x\ny', '-n', '🙂'];
    expect(words(argv)).toEqual(argv);
  });

  it('passes the special strings as separate words', () => {
    const argv = SPECIAL.map(([, v]) => v);
    expect(words(argv)).toEqual(argv);
  });

  it('passes random strings as separate words', () => {
    const argv = randomStrings(50, 7);
    expect(words(argv)).toEqual(argv);
  });

  it('joins quoted words with single spaces', () => {
    expect(shellCommand(['sysbench', 'cpu', 'a b'])).toBe("sysbench cpu 'a b'");
    expect(shellCommand([])).toBe('');
  });

  it('runs the first word as the command', () => {
    const res = spawnSync(BUSYBOX, ['sh', '-c', shellCommand(['printf', '%s|', 'a b', "c'd"])], { encoding: 'utf8' });
    expect(res.status).toBe(0);
    expect(res.stdout).toBe("a b|c'd|");
  });

  // `A=1` is left unquoted, so in command position the shell reads it as a variable assignment and runs
  // the next word as the command, instead of looking up a command named "A=1" (exit 127).
  it('quotes a first word containing "=" so it runs as the command, not an assignment', () => {
    // The command is "A=1" with arguments "printf" and "x": it must not print x.
    const res = spawnSync(BUSYBOX, ['sh', '-c', shellCommand(['A=1', 'printf', 'x'])], { encoding: 'utf8' });
    expect(res.stdout).toBe('');
    expect(res.status).toBe(127);
  });
});
