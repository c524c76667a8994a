// Seeded mutations of captured tool outputs, for the parser fuzz tests. Every case is derived from one
// 32-bit case seed, so a failure replays exactly: `fuzzCase(corpus, seed)` rebuilds the same input and
// lists the same steps.
import { readdirSync, readFileSync } from 'node:fs';

/** A uniform number in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: a 32-bit state advanced by a Weyl step and mixed by multiply-xorshift. Far from
 * cryptographic, but tiny, fast and fully determined by its seed, which is all a fuzz corpus needs.
 */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 2 ** 32;
  };
}

export const below = (rng: Rng, n: number): number => Math.floor(rng() * n);
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[below(rng, xs.length)] as T;
/** The next 32-bit seed from a generator: the seed of one case. */
export const nextSeed = (rng: Rng): number => Math.floor(rng() * 2 ** 32) >>> 0;

export interface Capture {
  /** fixtures/<tool>/<file>, for the failure message. */
  name: string;
  text: string;
}

export interface Corpus {
  captures: Capture[];
  /** Lines of other tools' captures, spliced in to mix formats. */
  foreign: string[];
}

const FIXTURES = new URL('../fixtures/', import.meta.url);

/** Every capture of a tool (test/fixtures/<dir>/, CAPTURE.md aside), optionally filtered by file name. */
export function captures(dir: string, keep: (file: string) => boolean = () => true): Capture[] {
  return readdirSync(new URL(`${dir}/`, FIXTURES))
    .filter((f) => f !== 'CAPTURE.md' && keep(f))
    .sort()
    .map((f) => ({ name: `${dir}/${f}`, text: readFileSync(new URL(`${dir}/${f}`, FIXTURES), 'utf8') }));
}

/** A corpus of the given captures, with the lines of every other tool's captures as foreign material. */
export function corpus(own: Capture[], others: Capture[]): Corpus {
  const foreign = [...new Set(others.flatMap((c) => c.text.split('\n')).filter((l) => l.trim() !== ''))];
  return { captures: own, foreign };
}

// Tool output reaches the parsers as UTF-8 decoded without validation (ssh2 and readFileSync(…, 'utf8')
// both turn invalid bytes into U+FFFD): byte-level mutations are decoded the same way.
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');
const bytesOf = (text: string) => encoder.encode(text);
const textOf = (bytes: Uint8Array) => decoder.decode(bytes);

const show = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…(${s.length})` : s);

function grouped(digits: string, sep: string): string {
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += sep;
    out += digits[i];
  }
  return out;
}

/** The same number written with another script's digits (Arabic-Indic, Devanagari, fullwidth…). */
const otherDigits = (n: string, zero: number) => n.replace(/\d/g, (d) => String.fromCodePoint(zero + Number(d)));

/** What a number can turn into: overflow, underflow, sign, IEEE specials, other locales, other notations. */
export function weirdNumbers(n: string): string[] {
  const [int = '', frac] = n.split('.');
  const fr = frac === undefined ? '' : frac;
  return [
    '1e400',
    '9'.repeat(400),
    `${'9'.repeat(400)}.5`,
    `0.${'0'.repeat(400)}1`,
    `-${n}`,
    '-0',
    '0',
    '0.00',
    'NaN',
    'nan',
    '-nan',
    'inf',
    '-inf',
    'Infinity',
    '12,5',
    frac === undefined ? `${n},5` : `${int},${fr}`, // decimal comma
    `${grouped(int, ',')}${frac === undefined ? '' : `.${fr}`}`, // en thousands separators
    `${grouped(int, '.')}${frac === undefined ? '' : `,${fr}`}`, // de
    `${grouped(int, '\u202f')}${frac === undefined ? '' : `,${fr}`}`, // fr (narrow no-break space)
    `${grouped(int, "'")}${frac === undefined ? '' : `.${fr}`}`, // de-CH
    otherDigits(n, 0x0660),
    otherDigits(n, 0x0966),
    otherDigits(n, 0xff10),
    '0x1F',
    `${n}e5`,
    `${n}e-400`,
    '1_000',
    `+${n}`,
    '',
    '.',
    '1.2.3',
    `${n}${n}`,
  ];
}

/** Units of the runs that make up a long line: each a class that some parser regex repeats. */
export const FILLERS = [
  ' ',
  '\t',
  '\n',
  '\r\n',
  '0',
  '9',
  '.',
  '1 ',
  '1.',
  ' 1',
  'a',
  'a ',
  '=',
  'a=',
  ',',
  '1,',
  '-',
  ':',
  '%',
  '>',
  '<',
  '|',
  '/',
  'e',
  '\0',
];

/** A line of about `size` characters: a filler repeated, or random printable ASCII. */
export function longLine(rng: Rng, size: number): { text: string; what: string } {
  if (rng() < 0.2) {
    const chars: string[] = [];
    for (let i = 0; i < Math.min(size, 4096); i++) chars.push(String.fromCharCode(32 + below(rng, 95)));
    const unit = chars.join('');
    return { text: unit.repeat(Math.ceil(size / unit.length)).slice(0, size), what: 'random ASCII' };
  }
  const filler = pick(rng, FILLERS);
  return { text: filler.repeat(Math.ceil(size / filler.length)), what: `${JSON.stringify(filler)} x ${Math.ceil(size / filler.length)}` };
}

interface Applied {
  text: string;
  step: string;
}

type Mutation = (text: string, rng: Rng, c: Corpus, longLineSize: number) => Applied;

const offset = (rng: Rng, text: string) => below(rng, text.length + 1);

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

const NUMBER = /\d+(?:\.\d+)?/g;

const MUTATIONS: Record<string, Mutation> = {
  truncate(text, rng) {
    const bytes = bytesOf(text);
    const at = below(rng, bytes.length + 1);
    return { text: textOf(bytes.subarray(0, at)), step: `truncate(at byte ${at})` };
  },
  flipByte(text, rng) {
    const bytes = bytesOf(text);
    if (bytes.length === 0) return { text, step: 'flipByte(empty)' };
    const at = below(rng, bytes.length);
    const mask = 1 + below(rng, 255);
    bytes[at] = (bytes[at] as number) ^ mask;
    return { text: textOf(bytes), step: `flipByte(at byte ${at} xor 0x${mask.toString(16)})` };
  },
  invalidUtf8(text, rng) {
    const bytes = bytesOf(text);
    const at = below(rng, bytes.length + 1);
    const junk = Array.from({ length: 1 + below(rng, 4) }, () => 0x80 + below(rng, 0x80));
    const out = new Uint8Array(bytes.length + junk.length);
    out.set(bytes.subarray(0, at));
    out.set(junk, at);
    out.set(bytes.subarray(at), at + junk.length);
    return { text: textOf(out), step: `invalidUtf8(at byte ${at}: ${junk.map((b) => b.toString(16)).join(' ')})` };
  },
  loneSurrogate(text, rng) {
    const at = offset(rng, text);
    return { text: `${text.slice(0, at)}\ud800${text.slice(at)}`, step: `loneSurrogate(at ${at})` };
  },
  nul(text, rng) {
    const at = offset(rng, text);
    const n = 1 + below(rng, 3);
    return { text: `${text.slice(0, at)}${'\0'.repeat(n)}${text.slice(at)}`, step: `nul(at ${at} x ${n})` };
  },
  crlf(text, rng) {
    if (rng() < 0.5) return { text: text.replaceAll('\n', '\r\n'), step: 'crlf(every line)' };
    const ends = lineStarts(text)
      .slice(1)
      .map((s) => s - 1);
    if (ends.length === 0) return { text: `${text}\r`, step: 'crlf(trailing \\r)' };
    const at = pick(rng, ends);
    return { text: `${text.slice(0, at)}\r${text.slice(at)}`, step: `crlf(at ${at})` };
  },
  number(text, rng) {
    const numbers = [...text.matchAll(NUMBER)];
    if (numbers.length === 0) return { text, step: 'number(none)' };
    // half the time one of the last numbers: most tools print their result last
    const m = (
      rng() < 0.5 ? pick(rng, numbers) : numbers[numbers.length - 1 - below(rng, Math.min(16, numbers.length))]
    ) as RegExpExecArray;
    const to = pick(rng, weirdNumbers(m[0]));
    const at = m.index ?? 0;
    return { text: `${text.slice(0, at)}${to}${text.slice(at + m[0].length)}`, step: `number(at ${at} ${m[0]} -> ${show(to)})` };
  },
  longLine(text, rng, _c, size) {
    const line = longLine(rng, size);
    if (rng() < 0.5) {
      const at = pick(rng, lineStarts(text));
      return { text: `${text.slice(0, at)}${line.text}\n${text.slice(at)}`, step: `longLine(line at ${at}: ${line.what})` };
    }
    const at = offset(rng, text);
    return { text: `${text.slice(0, at)}${line.text}${text.slice(at)}`, step: `longLine(inside at ${at}: ${line.what})` };
  },
  dropLine(text, rng) {
    const lines = text.split('\n');
    const i = below(rng, lines.length);
    lines.splice(i, 1);
    return { text: lines.join('\n'), step: `dropLine(${i})` };
  },
  duplicateLine(text, rng) {
    const lines = text.split('\n');
    const i = below(rng, lines.length);
    lines.splice(i, 0, lines[i] as string);
    return { text: lines.join('\n'), step: `duplicateLine(${i})` };
  },
  swapLines(text, rng) {
    const lines = text.split('\n');
    const i = below(rng, lines.length);
    const j = below(rng, lines.length);
    [lines[i], lines[j]] = [lines[j] as string, lines[i] as string];
    return { text: lines.join('\n'), step: `swapLines(${i}, ${j})` };
  },
  foreignLine(text, rng, c) {
    if (c.foreign.length === 0) return { text, step: 'foreignLine(none)' };
    const line = pick(rng, c.foreign);
    const at = pick(rng, lineStarts(text));
    return { text: `${text.slice(0, at)}${line}\n${text.slice(at)}`, step: `foreignLine(at ${at}: ${show(line)})` };
  },
  whitespace(_text, rng) {
    const to = pick(rng, ['', ' ', '\n', '\r\n', '\t \n']);
    return { text: to, step: `whitespace(${JSON.stringify(to)})` };
  },
};

const NAMES = Object.keys(MUTATIONS);
// Whole-text replacement is rare: it says little about a parser after the first few times.
const WEIGHTED = NAMES.flatMap((n) => (n === 'whitespace' ? [n] : n === 'number' || n === 'truncate' ? [n, n, n, n, n, n] : [n, n, n]));

export interface FuzzCase {
  seed: number;
  capture: string;
  steps: string[];
  text: string;
}

/**
 * One fuzz input: a capture of the corpus with one to three mutations, all drawn from `seed`.
 * `longLineSize` bounds the inserted long lines: the fuzz loop runs in the test's thread, where a
 * backtracking regex cannot be stopped, so its lines stay small enough for a quadratic one to end in
 * seconds; the 10 MB lines run in a worker (hugeLineCase).
 */
export function fuzzCase(c: Corpus, seed: number, longLineSize = 16 * 1024): FuzzCase {
  const rng = mulberry32(seed);
  const capture = pick(rng, c.captures);
  let text = capture.text;
  const steps: string[] = [];
  const n = 1 + below(rng, 3);
  for (let i = 0; i < n; i++) {
    const name = pick(rng, WEIGHTED);
    const applied = (MUTATIONS[name] as Mutation)(text, rng, c, 1 + below(rng, longLineSize));
    text = applied.text;
    steps.push(applied.step);
  }
  return { seed, capture: capture.name, steps, text };
}

/** Every number of a capture replaced by each of its weird forms, one at a time (`every` > 1 skips numbers). */
export function* numberSweep(c: Capture, every = 1): Generator<{ text: string; what: string }> {
  const numbers = [...c.text.matchAll(NUMBER)];
  for (let i = numbers.length - 1; i >= 0; i -= every) {
    const m = numbers[i] as RegExpExecArray;
    const at = m.index ?? 0;
    for (const to of weirdNumbers(m[0])) {
      yield { text: `${c.text.slice(0, at)}${to}${c.text.slice(at + m[0].length)}`, what: `${c.name}: ${m[0]} at ${at} -> ${show(to)}` };
    }
  }
}

/** A capture with one line of `size` characters inserted at a seeded place: the 10 MB cases. */
export function hugeLineCase(c: Corpus, seed: number, size: number): FuzzCase {
  const rng = mulberry32(seed);
  const capture = pick(rng, c.captures);
  const applied = (MUTATIONS.longLine as Mutation)(capture.text, rng, c, size);
  return { seed, capture: capture.name, steps: [applied.step], text: applied.text };
}

/** How to replay a case, for a failure message. */
export const describeCase = (k: FuzzCase, replay = `fuzzCase(corpus, 0x${k.seed.toString(16)})`) =>
  `seed 0x${k.seed.toString(16).padStart(8, '0')} on ${k.capture}: ${k.steps.join(', ')} (replay: ${replay})`;
