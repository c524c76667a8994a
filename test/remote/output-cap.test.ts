import { describe, expect, it } from 'vitest';
import { JobError } from '../../src/remote/errors.js';
import { boundedMessage, CappedOutput, EXCERPT_BYTES, excerpt, MAX_MESSAGE_CHARS, printable } from '../../src/remote/output-cap.js';

describe('CappedOutput', () => {
  it('keeps chunks up to the cap and says when a chunk passes it', () => {
    const out = new CappedOutput(10);
    expect(out.push(Buffer.from('12345'))).toBe(true);
    expect(out.push(Buffer.from('67890'))).toBe(true);
    expect(out.push(Buffer.from('x'))).toBe(false);
    expect(out.bytes).toBe(11);
    expect(out.text()).toBe('1234567890x');
  });

  it('decodes a character split across chunks', () => {
    const euro = Buffer.from('€');
    const out = new CappedOutput(100);
    out.push(euro.subarray(0, 1));
    out.push(euro.subarray(1));
    expect(out.text()).toBe('€');
  });
});

describe('excerpt', () => {
  it('keeps a short text whole', () => {
    expect(excerpt('a\nb', 2)).toBe('a\nb');
    expect(excerpt('abcd', 2)).toBe('abcd');
  });

  it('keeps the head and the tail of a long one, saying how much is left out', () => {
    expect(excerpt('abcdefgh', 2)).toBe('ab\n[edgebench: 4 characters left out]\ngh');
    const long = `${'h'.repeat(EXCERPT_BYTES)}${'m'.repeat(10 * EXCERPT_BYTES)}${'t'.repeat(EXCERPT_BYTES)}`;
    expect(excerpt(long)).toBe(
      `${'h'.repeat(EXCERPT_BYTES)}\n[edgebench: ${10 * EXCERPT_BYTES} characters left out]\n${'t'.repeat(EXCERPT_BYTES)}`,
    );
  });
});

describe('printable and boundedMessage', () => {
  it('turns controls (escapes, bells, newlines, DEL, C1) into spaces and keeps tabs and other text', () => {
    expect(printable('evil\u001b[2J\u0007 OS\n12\u007f\u009b\tok é', 100)).toBe('evil [2J  OS 12  \tok é');
  });

  it('cuts at the bound, marking the cut', () => {
    expect(printable('x'.repeat(500), 128)).toBe(`${'x'.repeat(127)}…`);
    expect(printable('  short  ', 128)).toBe('short');
  });

  it('keeps newlines in a message, and bounds it', () => {
    expect(boundedMessage('a\nb\u001b')).toBe('a\nb ');
    expect(boundedMessage('y'.repeat(10 * MAX_MESSAGE_CHARS))).toHaveLength(MAX_MESSAGE_CHARS);
  });

  it('every JobError is bounded so: message and kept output', () => {
    const e = new JobError('parse', `quoted: "${'y\n'.repeat(1e6)}"`, 'z'.repeat(1e7));
    expect(e.message.length).toBe(MAX_MESSAGE_CHARS);
    expect(e.output?.length).toBeLessThan(2 * EXCERPT_BYTES + 100);
    expect(new JobError('parse', 'm').output).toBeUndefined();
  });
});
