// --log.format logfmt: real pino records, as edgebench's loggers write them, through the logfmt
// destination, read back by an independent logfmt reader (./logfmt.ts).
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { logfmtLine, logfmtStream, logfmtToken } from '../../src/log-format.js';
import { parseLogfmt } from './logfmt.js';

/** A pino logger at debug writing logfmt into `lines`, as createLogger(…, 'logfmt') does to stderr. */
function capture() {
  const out: string[] = [];
  const log = pino({ level: 'debug', base: null }, logfmtStream({ write: (s: string) => out.push(s) }));
  return { log, out, lines: () => out.join('').split('\n').slice(0, -1) };
}

describe('logfmt', () => {
  it('writes ts, level and msg first, then the fields in their order, one line per record', () => {
    const { log, out, lines } = capture();
    const before = Date.now();
    log.info({ dut: 'r1', reason: 'connection', attempts: 3 }, 'round skipped');
    log.warn({ key: 'listen' }, 'listen changed: it takes effect at the next start');
    log.debug('stopped');
    log.error({ dut: 'pi' }, 'x');
    expect(out).toHaveLength(4);
    expect(out.every((s) => s.endsWith('\n') && s.indexOf('\n') === s.length - 1)).toBe(true);
    const [info, warn, debug, error] = lines();
    expect(info).toMatch(/^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=info msg="round skipped" dut=r1 reason=connection attempts=3$/);
    expect(Date.parse(parseLogfmt(info as string).ts as string)).toBeGreaterThanOrEqual(before - 1);
    expect(parseLogfmt(warn as string)).toMatchObject({
      level: 'warn',
      msg: 'listen changed: it takes effect at the next start',
      key: 'listen',
    });
    expect(debug).toMatch(/^ts=\S+ level=debug msg=stopped$/);
    expect(error).toMatch(/^ts=\S+ level=error msg=x dut=pi$/);
  });

  it('quotes values with blanks, quotes, = or control characters, escapes newlines, and reads back the same', () => {
    const { log, lines } = capture();
    const values = {
      space: 'a b',
      quote: 'say "hi"',
      equals: 'a=b',
      newline: 'line 1\nline 2',
      crlfTab: 'a\r\n\tb',
      backslash: 'C:\\dir\\file',
      escapedQuote: 'back\\"slash',
      unicode: 'Größe 10 µs',
      nbsp: 'a\u00a0b',
      bell: 'a\u0007b',
      empty: '',
      plain: 'SHA256:yY9Ptp6a+/x',
    };
    log.info(values, 'message with "quotes" and\nnewline');
    const [line] = lines();
    expect(line).not.toMatch(/\p{Cc}/u); // no newline, tab or bell left raw
    expect(line).toContain(' space="a b" ');
    expect(line).toContain(' newline="line 1\\nline 2" ');
    expect(line).toContain(' backslash=C:\\dir\\file ');
    expect(line).toContain(' plain=SHA256:yY9Ptp6a+/x');
    expect(line).toContain(' empty="" ');
    expect(parseLogfmt(line as string)).toEqual({
      ts: expect.any(String),
      level: 'info',
      msg: 'message with "quotes" and\nnewline',
      ...values,
    });
  });

  it('writes numbers and booleans as they are, arrays, objects and errors as JSON', () => {
    const { log, lines } = capture();
    const err = new Error('connect ECONNREFUSED 127.0.0.1:1');
    log.error({ n: 1.5, big: 1e21, neg: -2, ok: false, none: null, duts: ['r1', 'pi 4'], web: { tls: true }, err }, 'failed');
    const fields = parseLogfmt(lines()[0] as string);
    expect(fields).toMatchObject({ n: '1.5', big: '1e+21', neg: '-2', ok: 'false', none: 'null' });
    expect(JSON.parse(fields.duts as string)).toEqual(['r1', 'pi 4']);
    expect(JSON.parse(fields.web as string)).toEqual({ tls: true });
    // pino's error serializer: type, message, and the stack with its newlines, all on the one line
    const logged = JSON.parse(fields.err as string) as { type: string; message: string; stack: string };
    expect(logged).toMatchObject({ type: 'Error', message: err.message, stack: err.stack });
    expect(logged.stack).toContain('\n');
  });

  it('quotes a key that needs it', () => {
    expect(logfmtLine({ 'a key': 1, 'k=v': 'x', '': 'e' })).toBe('"a key"=1 "k=v"=x ""=e');
    expect(parseLogfmt(logfmtLine({ 'a key': 1 }))).toEqual({ 'a key': '1' });
  });

  it('leaves tokens bare when nothing in them needs quotes', () => {
    expect(logfmtToken('127.0.0.1:9877')).toBe('127.0.0.1:9877');
    expect(logfmtToken('/var/lib/edgebench/journal.sqlite')).toBe('/var/lib/edgebench/journal.sqlite');
    expect(logfmtToken('tab\there')).toBe('"tab\\there"');
    expect(logfmtToken('\u2028')).toBe('"\u2028"');
  });

  it('passes a line that is not a record through, and flushes what it writes to', () => {
    const written: string[] = [];
    let flushed = 0;
    const stream = logfmtStream({
      write: (s: string) => written.push(s),
      flush: (cb) => {
        flushed++;
        cb?.();
      },
    });
    stream.write('not json\n');
    expect(written).toEqual(['not json\n']);
    let called = false;
    stream.flush?.(() => {
      called = true;
    });
    expect([flushed, called]).toEqual([1, true]);
  });
});
