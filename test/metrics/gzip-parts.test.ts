import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GZIP_BATCH_BYTES, gzipParts } from '../../src/metrics/gzip-parts.js';

describe('gzipParts', () => {
  it('gzips many small parts and some larger than a batch as their concatenation, reusing one batch buffer', async () => {
    // random bytes: incompressible, so a batch overwritten too early would show in the output
    const parts = [
      ...Array.from({ length: 3000 }, (_, i) => randomBytes(1 + (i % 300))),
      randomBytes(GZIP_BATCH_BYTES + 1),
      randomBytes(10),
      randomBytes(3 * GZIP_BATCH_BYTES),
    ];
    const batch = Buffer.allocUnsafe(GZIP_BATCH_BYTES);
    const [a, b] = [await gzipParts(parts, batch), await gzipParts(parts.slice(1), batch)];
    expect(gunzipSync(a).equals(Buffer.concat(parts))).toBe(true);
    expect(gunzipSync(b).equals(Buffer.concat(parts.slice(1)))).toBe(true);
    expect(gunzipSync(await gzipParts([]))).toHaveLength(0);
  });
});
