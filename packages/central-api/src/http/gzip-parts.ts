import * as zlib from 'node:zlib';
import { JsonParts, SharedJson } from './json-parts.js';

/** The fixed gzip header (RFC 1952 2.3): deflate, no flags, no time, no extra flags, unknown OS. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff]);
/** A final, empty stored block: ends the deflate stream on a byte boundary. */
const FINAL_EMPTY_BLOCK = Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff]);
const MAX_STORED_BLOCK = 0xffff;

/**
 * One gzip member (RFC 1952) of a JsonParts body, in one deflate stream (RFC 1951): each shared text as its
 * deflate blocks, computed once (json-parts.ts), and the answer's own short texts as stored blocks, which cost
 * no compressor at all. Every block before the last is non-final and byte-aligned, so the blocks simply follow
 * one another; any gzip reader inflates the result, with no reliance on multi-member support.
 */
export function gzipParts(body: JsonParts): Buffer | Promise<Buffer> {
  // A change sends the same shared texts to thousands of PDVs: once deflated (by the first), each member is made
  // at once, with no promise per answer.
  let ready = true;
  for (const part of body.parts) if (part instanceof SharedJson && part.deflatedNow === undefined) ready = false;
  return ready ? memberOf(body) : Promise.all(body.parts.map((part) => (part instanceof SharedJson ? part.deflateBlocks() : null))).then(() => memberOf(body));
}

/** The member, every shared text of the body being deflated already. */
function memberOf(body: JsonParts): Buffer {
  // Every piece first, so that the member is written into one buffer of its final size: no buffer per block
  // header, and no concatenation copying the pieces once more.
  const pieces: { bytes: Buffer; deflated: Buffer | null }[] = [];
  let length = GZIP_HEADER.length + FINAL_EMPTY_BLOCK.length + TRAILER_BYTES;
  let crc = 0;
  let size = 0;
  for (const part of body.parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part.bytes;
    if (bytes.length === 0) continue;
    crc = crc32(bytes, crc);
    size += bytes.length;
    const deflated = part instanceof SharedJson ? part.deflatedNow! : null;
    pieces.push({ bytes, deflated });
    length += deflated !== null ? deflated.length : bytes.length + STORED_HEADER_BYTES * Math.ceil(bytes.length / MAX_STORED_BLOCK);
  }
  const member = Buffer.allocUnsafe(length);
  let at = GZIP_HEADER.copy(member, 0);
  for (const { bytes, deflated } of pieces) {
    if (deflated !== null) at += deflated.copy(member, at);
    else for (let from = 0; from < bytes.length; from += MAX_STORED_BLOCK) at = writeStoredBlock(member, at, bytes.subarray(from, from + MAX_STORED_BLOCK));
  }
  at += FINAL_EMPTY_BLOCK.copy(member, at);
  member.writeUInt32LE(crc >>> 0, at);
  // ISIZE is the length modulo 2^32.
  member.writeUInt32LE(size % 0x1_0000_0000, at + 4);
  return member;
}

const TRAILER_BYTES = 8;
const STORED_HEADER_BYTES = 5;

/**
 * A non-final stored block (BFINAL 0, BTYPE 00, padding to the byte): LEN, its one's complement, the bytes.
 * Written at `at`; returns where the next block starts.
 */
function writeStoredBlock(target: Buffer, at: number, bytes: Buffer): number {
  target[at] = 0x00;
  target.writeUInt16LE(bytes.length, at + 1);
  target.writeUInt16LE(~bytes.length & 0xffff, at + 3);
  return at + STORED_HEADER_BYTES + bytes.copy(target, at + STORED_HEADER_BYTES);
}

/** zlib's CRC-32 from Node 20.15 on; before that, the same table-driven CRC (IEEE 802.3, reflected) here. */
const crc32: (data: Buffer, initial: number) => number = typeof zlib.crc32 === 'function' ? zlib.crc32 : tableCrc32;

let crcTable: Uint32Array | undefined;

export function tableCrc32(data: Buffer, initial: number): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = ~initial >>> 0;
  for (let index = 0; index < data.length; index++) crc = crcTable[(crc ^ data[index]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
