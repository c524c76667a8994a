// Bounds on what a DUT (or a client talking to one) can make edgebench hold: a tool that never
// stops printing must fail its job, not grow the exporter until it dies, and a failure's message
// and kept output must stay small enough for a log line and a journal row.

/** Per command and stream, unless a benchmark sets its own `max_output_bytes`. */
export const DEFAULT_MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** What a probe of the DUT (its facts, its tools' versions, its caches) may print: far more than any real answer. */
export const PROBE_MAX_BYTES = 64 * 1024;

/** The head and the tail of a failure's output that the journal keeps. */
export const EXCERPT_BYTES = 32 * 1024;

/** A failure's message, as logged and journaled. */
export const MAX_MESSAGE_CHARS = 1000;

/** Collects one stream's chunks until they pass a cap in bytes. */
export class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(readonly maxBytes: number) {}

  /** Keeps the chunk; false once the stream has passed its cap (the chunk is kept all the same). */
  push(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.size += chunk.length;
    return this.size <= this.maxBytes;
  }

  get bytes(): number {
    return this.size;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** The text whole when it is short, else its head and tail around a line saying how much was left out. */
export function excerpt(text: string, keep = EXCERPT_BYTES): string {
  if (text.length <= 2 * keep) return text;
  return `${text.slice(0, keep)}\n[edgebench: ${text.length - 2 * keep} characters left out]\n${text.slice(-keep)}`;
}

// C0 and C1 controls and DEL, but tab (and, in a message, newline); an ANSI escape starts with ESC
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it matches
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it matches
const CONTROL_BUT_NEWLINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

const cut = (text: string, maxChars: number) => (text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`);

/** One line a DUT chose, fit for a label value: controls as spaces, at most maxChars. */
export function printable(text: string, maxChars: number): string {
  return cut(text.replace(CONTROL, ' ').trim(), maxChars);
}

/** A message that may quote a DUT's words, fit for a log line: controls but newline as spaces, bounded. */
export function boundedMessage(text: string): string {
  return cut(text.replace(CONTROL_BUT_NEWLINE, ' '), MAX_MESSAGE_CHARS);
}
