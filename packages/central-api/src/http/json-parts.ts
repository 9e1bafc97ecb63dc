import { constants, deflateRawSync } from 'node:zlib';

/**
 * A JSON text that many answers carry as it is (a shared page's changes, a table's column list), serialised
 * once and, when an answer is gzipped, deflated once (gzip-parts.ts): a change that wakes thousands of PDVs
 * costs the serialisation and compression of its rows once, not once per PDV.
 */
export class SharedJson {
  private utf8: Buffer | undefined;
  private deflated: Buffer | undefined;

  constructor(readonly text: string) {}

  get bytes(): Buffer {
    return (this.utf8 ??= Buffer.from(this.text, 'utf8'));
  }

  /**
   * The text as raw deflate blocks that end on a byte boundary and are not final (a sync flush), so that they can
   * sit between other blocks of one deflate stream. They refer to nothing before their own start, so whatever
   * precedes them in the stream does not change how they inflate.
   */
  get deflateBlocks(): Buffer {
    return (this.deflated ??= deflateRawSync(this.bytes, { level: SHARED_DEFLATE_LEVEL, finishFlush: constants.Z_SYNC_FLUSH }));
  }
}

/** Paid once per shared text, so the default level's better ratio is worth its CPU here. */
const SHARED_DEFLATE_LEVEL = 6;

/** An answer's JSON as a sequence of its own text and shared texts; joined, they are the whole body. */
export class JsonParts {
  readonly parts: readonly (string | SharedJson)[];

  constructor(parts: readonly (string | SharedJson)[]) {
    // Adjacent texts of the answer's own are one part: each part of its own is a block of its own when gzipped.
    const merged: (string | SharedJson)[] = [];
    for (const part of parts) {
      const last = merged.length - 1;
      if (typeof part === 'string' && typeof merged[last] === 'string') merged[last] += part;
      else merged.push(part);
    }
    this.parts = merged;
  }

  get text(): string {
    return this.parts.map((part) => (typeof part === 'string' ? part : part.text)).join('');
  }
}
