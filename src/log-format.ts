// logfmt, as go-kit's logger writes it for node_exporter and Prometheus (`--log.format logfmt`):
// one line per record, `ts=… level=… msg=… key=value…`. pino writes JSON; this turns each of its
// lines into logfmt on the way to stderr, so every log call stays as it is.
import { pino } from 'pino';

/** What pino hands a destination and what pino.destination() returns that pino uses. */
export interface LineStream {
  write(line: string): unknown;
  flush?(cb?: (err?: Error) => void): void;
}

/** Anything a parser could take for the end of the token: blanks, quotes, '=', control characters. */
const NEEDS_QUOTES = /[\s"=\p{Cc}]/u;

/** A key or value as it goes on the line: quoted (with JSON's escapes, so no newline survives) only when needed. */
export function logfmtToken(text: string): string {
  return text === '' || NEEDS_QUOTES.test(text) ? JSON.stringify(text) : text;
}

function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  // numbers, booleans, null as JSON writes them; arrays and objects (an err with its stack) as JSON
  return JSON.stringify(value) ?? String(value);
}

/** One pino record as one logfmt line, without the newline. */
export function logfmtLine(record: Record<string, unknown>): string {
  const { time, level, msg, ...rest } = record;
  const fields: [string, unknown][] = [];
  if (time !== undefined) fields.push(['ts', typeof time === 'number' ? new Date(time).toISOString() : time]);
  if (level !== undefined) fields.push(['level', (typeof level === 'number' && pino.levels.labels[level]) || level]);
  if (msg !== undefined) fields.push(['msg', msg]);
  fields.push(...Object.entries(rest));
  return fields.map(([key, value]) => `${logfmtToken(key)}=${logfmtToken(valueText(value))}`).join(' ');
}

/** A pino destination that writes each JSON record it gets to `out` as a logfmt line. */
export function logfmtStream(out: LineStream): LineStream {
  return {
    write(json: string) {
      let record: unknown;
      try {
        record = JSON.parse(json);
      } catch {
        return out.write(json); // not a record: never lose a line
      }
      return out.write(`${logfmtLine(record as Record<string, unknown>)}\n`);
    },
    flush: (cb) => (out.flush ? out.flush(cb) : cb?.()),
  };
}
