import { promisify } from 'node:util';
import { constants, deflateRaw } from 'node:zlib';

const deflateRawAsync = promisify(deflateRaw);

/**
 * A JSON text that many answers carry as it is (a shared page's changes, a table's column list), serialised
 * once and, when an answer is gzipped, deflated once (gzip-parts.ts): a change that wakes thousands of PDVs
 * costs the serialisation and compression of its rows once, not once per PDV.
 */
export class SharedJson {
  readonly bytes: Buffer;
  private deflated: Promise<Buffer> | undefined;
  private deflatedBlocks: Buffer | undefined;

  constructor(readonly text: string) {
    this.bytes = Buffer.from(text, 'utf8');
  }

  /**
   * The text as raw deflate blocks that end on a byte boundary and are not final (a sync flush), so that they can
   * sit between other blocks of one deflate stream. They refer to nothing before their own start, so whatever
   * precedes them in the stream does not change how they inflate. Made once, on zlib's thread pool, so that a
   * large page does not hold the event loop.
   */
  deflateBlocks(): Promise<Buffer> {
    if (this.deflated === undefined) {
      this.deflated = deflateRawAsync(this.bytes, { level: SHARED_DEFLATE_LEVEL, finishFlush: constants.Z_SYNC_FLUSH });
      this.deflated.then((blocks) => (this.deflatedBlocks = blocks)).catch(() => {});
    }
    return this.deflated;
  }

  /** deflateBlocks' bytes once made, with nothing to wait for; undefined before. */
  get deflatedNow(): Buffer | undefined {
    return this.deflatedBlocks;
  }
}

/** Paid once per shared text, so the default level's better ratio is worth its CPU here. */
const SHARED_DEFLATE_LEVEL = 6;

/** Below this a value's JSON is cheaper to send as the answer's own than to keep and deflate on its own. */
const MIN_SHARED_CHARS = 256;

const shareable = new WeakSet<object>();
const sharedTexts = new WeakMap<object, SharedJson>();

/**
 * Marks a value that many answers will carry as the very same object, and that nothing changes any more: a kept
 * page's changes, a cut of them, a table's column list. Only such values get a SharedJson; any other value is
 * serialised into the answer's own text, so that a value seen once never costs a deflate of its own.
 */
export function markShared(value: object): void {
  shareable.add(value);
}

/** The value's JSON: a SharedJson made once when it was marked shared and is large enough, else its text. */
export function jsonOf(value: object): string | SharedJson {
  const known = sharedTexts.get(value);
  if (known !== undefined) return known;
  const text = JSON.stringify(value);
  if (!shareable.has(value) || text.length < MIN_SHARED_CHARS) return text;
  const made = new SharedJson(text);
  sharedTexts.set(value, made);
  return made;
}

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

  /** The body's length in UTF-8 bytes, without joining it. */
  get byteLength(): number {
    return this.parts.reduce((total, part) => total + (typeof part === 'string' ? Buffer.byteLength(part, 'utf8') : part.bytes.length), 0);
  }

  /** The bytes of its shared parts: what a gzip of the parts compresses; its own texts are stored as they are. */
  get sharedByteLength(): number {
    return this.parts.reduce((total, part) => total + (typeof part === 'string' ? 0 : part.bytes.length), 0);
  }
}
