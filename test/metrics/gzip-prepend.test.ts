// The per-scrape families in front of the cached gzipped body: one gzip member that gzip(1) itself
// accepts (CRC and length checked), without deflating the body again.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { crc32, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gzipParts } from '../../src/metrics/gzip-parts.js';
import { crc32Combine, gzipPrepend } from '../../src/metrics/gzip-prepend.js';

/** gzip -dc, which verifies the trailer's CRC-32 and length, and reads every member there is. */
function gzipTool(data: Buffer): { out: Buffer; err: string; status: number | null } {
  const r = spawnSync('gzip', ['-dc'], { input: data, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { out: r.stdout, err: r.stderr.toString(), status: r.status };
}

const text = (lines: number, seed: string) =>
  Buffer.from(Array.from({ length: lines }, (_, i) => `edgebench_x{dut="${seed}${i % 97}",i="${i}"} ${i * 1.5}\n`).join(''));

describe('crc32Combine', () => {
  it('is the CRC-32 of the two buffers one after the other', () => {
    for (const [a, b] of [
      [0, 0],
      [1, 1],
      [5, 0],
      [0, 7],
      [100, 3],
      [3, 65_537],
      [1 << 20, 12_345],
    ] as const) {
      const x = randomBytes(a);
      const y = randomBytes(b);
      expect(crc32Combine(crc32(x), crc32(y), y.length), `${a} + ${b} bytes`).toBe(crc32(Buffer.concat([x, y])));
    }
  });
});

describe('gzipPrepend', () => {
  it.each([
    ['a small body', text(0, 'h'), text(3, 'b')],
    ['a 4 MB body of many parts', text(200, 'h'), text(60_000, 'b')],
    ['an incompressible body over 64 KiB', randomBytes(9_000), randomBytes(300_000)],
    ['an empty head', Buffer.alloc(0), text(10, 'b')],
    ['an empty body', text(10, 'h'), Buffer.alloc(0)],
  ])('puts the head in front of %s as one gzip member', async (_what, head, body) => {
    // the body as MetricsBody gzips it: in parts, by gzipParts
    const parts = Array.from({ length: 7 }, (_, i) =>
      body.subarray(Math.floor((i * body.length) / 7), Math.floor(((i + 1) * body.length) / 7)),
    );
    const gzipped = await gzipParts(parts);
    const chunks = gzipPrepend(head, gzipped);
    const all = Buffer.concat(chunks);
    const expected = Buffer.concat([head, body]);
    expect(gunzipSync(all).equals(expected)).toBe(true);
    const tool = gzipTool(all);
    expect(tool.err).toBe('');
    expect(tool.status).toBe(0);
    expect(tool.out.equals(expected)).toBe(true);
    // one member: a single deflate stream between the header and the trailer holds all of it
    expect(inflateRawSync(all.subarray(10, all.length - 8)).equals(expected)).toBe(true);
    // the body's blocks are a view of the cached gzip, not a copy
    expect(chunks[1]?.buffer).toBe(gzipped.buffer);
  });

  it('is refused something that is not a bare gzip member', () => {
    expect(() => gzipPrepend(Buffer.from('x'), Buffer.from('not gzip at all'))).toThrow(/not a gzip member/);
    const named = gzipSync('x');
    named[3] = 0x08; // FNAME: a header longer than 10 bytes
    expect(() => gzipPrepend(Buffer.from('x'), named)).toThrow(/not a gzip member/);
  });
});
