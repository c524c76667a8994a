// A few kB of text put in front of an already gzipped body, as one valid gzip member, without
// deflating the body again: the per-scrape families of /metrics ahead of the cached body (0.5 MB
// of gzip at 500 DUTs). Not a second gzip member: Go's reader (Prometheus) reads concatenated
// members, but not every client does.
//
// A deflate stream is a sequence of blocks, and a block's back-references only reach data already
// decompressed: the head's blocks, ended by a sync flush (byte-aligned, not final), followed by the
// body's own blocks (its last one final) decompress to head + body. The trailer wants the CRC-32
// of both: combined from the two CRCs, since computing it over the body would cost what gzipping
// it again does.
import { crc32, deflateRawSync, constants as zlib } from 'node:zlib';

/** gzip's header as node's zlib writes it: no name, comment or extra field. */
const HEADER_BYTES = 10;
const TRAILER_BYTES = 8;
/** CRC-32's polynomial, bit-reversed (x^0 in the top bit) as zlib computes it. */
const POLY = 0xedb88320;

/** a · b modulo the CRC polynomial, both in the CRC's bit order (x^0 is the top bit). */
function multiplyModPoly(a: number, b: number): number {
  let product = 0;
  let shifted = b; // b · x^i
  for (let bit = 0x80000000; bit !== 0; bit >>>= 1) {
    if ((a & bit) !== 0) product ^= shifted;
    shifted = shifted & 1 ? (shifted >>> 1) ^ POLY : shifted >>> 1;
  }
  return product >>> 0;
}

/** x^(8n) modulo the polynomial: what appending n bytes does to a CRC, by repeated squaring. */
function xPow8n(n: number): number {
  let result = 0x80000000; // x^0
  let square = 0x00800000; // x^8
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) {
    if (rest % 2 === 1) result = multiplyModPoly(result, square);
    square = multiplyModPoly(square, square);
  }
  return result;
}

/**
 * The CRC-32 of a followed by b, from crc32(a), crc32(b) and b's length. CRC-32 is linear over
 * GF(2): crc(a ++ b) = crc(a) · x^(8·|b|) ⊕ crc(b) (the initial and final inversions cancel).
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multiplyModPoly(xPow8n(lengthB), crcA) ^ crcB) >>> 0;
}

/**
 * head ++ body, gzipped, as chunks: the header and head's blocks (new), the body's blocks (a view
 * of `gzipped`, not a copy) and the trailer (new). `gzipped` is one member from node's zlib.
 */
export function gzipPrepend(head: Buffer, gzipped: Buffer): Buffer[] {
  if (gzipped.length < HEADER_BYTES + TRAILER_BYTES || gzipped[0] !== 0x1f || gzipped[1] !== 0x8b || gzipped[3] !== 0) {
    throw new Error('gzipPrepend: not a gzip member with a bare 10-byte header');
  }
  const bodyCrc = gzipped.readUInt32LE(gzipped.length - 8);
  // ISIZE is the length modulo 2^32: /metrics bodies stay far below 4 GiB
  const bodyLength = gzipped.readUInt32LE(gzipped.length - 4);
  const headBlocks = deflateRawSync(head, { level: zlib.Z_BEST_SPEED, finishFlush: zlib.Z_SYNC_FLUSH });
  const trailer = Buffer.allocUnsafe(TRAILER_BYTES);
  trailer.writeUInt32LE(crc32Combine(crc32(head), bodyCrc, bodyLength), 0);
  trailer.writeUInt32LE((head.length + bodyLength) % 2 ** 32, 4);
  return [
    Buffer.concat([gzipped.subarray(0, HEADER_BYTES), headBlocks]),
    gzipped.subarray(HEADER_BYTES, gzipped.length - TRAILER_BYTES),
    trailer,
  ];
}
