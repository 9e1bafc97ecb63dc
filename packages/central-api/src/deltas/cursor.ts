import { InvalidPullRequestError } from './invalid-pull-request-error.js';
import type { ServedTable } from './served-table.js';

/**
 * Page cursors are opaque to clients: base64url of a small JSON object. They are read back strictly, because a
 * cursor is client input that steers which rows a query skips.
 *   changes:  { to, v, k }  the window's fixed upper version, the last served version, the last served key
 *   snapshot: { s, k, i }   the snapshot version, the last served key, the central database's incarnation
 *                           (db/incarnation.ts); a cursor from before incarnations has no `i`
 * `k` is the key as JSON text (an object holding exactly the key columns).
 */
export interface ChangesCursor {
  to: string;
  v: string;
  k: string;
}

export interface SnapshotCursor {
  s: string;
  k: string;
  /** The incarnation of the database the snapshot's first page was read from; null in a cursor of an earlier release. */
  i: string | null;
}

const MAX_CURSOR_LENGTH = 4_096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const INCARNATION = /^[A-Za-z0-9_-]{1,64}$/;
const VERSION = /^\d{1,19}$/;
const MAX_BIGINT = 9_223_372_036_854_775_807n;

export function encodeCursor(cursor: ChangesCursor | SnapshotCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

export function decodeChangesCursor(text: string, keyColumns: readonly string[]): ChangesCursor {
  const object = decodeObject(text, ['to', 'v', 'k']);
  return { to: version(object.to), v: version(object.v), k: keyText(object.k, keyColumns) };
}

export function decodeSnapshotCursor(text: string, keyColumns: readonly string[]): SnapshotCursor {
  const object = decodeObject(text, ['s', 'k'], ['i']);
  if (object.i !== undefined && (typeof object.i !== 'string' || !INCARNATION.test(object.i))) throw invalid('bad incarnation');
  return { s: version(object.s), k: keyText(object.k, keyColumns), i: (object.i as string | undefined) ?? null };
}

const invalid = (reason: string): InvalidPullRequestError =>
  new InvalidPullRequestError('cursor', `cursor is not one this server issued for this table (${reason}); start again without it`);

function decodeObject(text: string, fields: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (text.length === 0 || text.length > MAX_CURSOR_LENGTH || !BASE64URL.test(text)) throw invalid('not base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not JSON');
  }
  if (!isPlainObject(parsed)) throw invalid('not an object');
  const keys = Object.keys(parsed).filter((key) => !optional.includes(key)).sort();
  if (keys.join(',') !== [...fields].sort().join(',')) throw invalid(`expected the fields ${fields.join(', ')}`);
  return parsed;
}

function version(value: unknown): string {
  if (typeof value !== 'string' || !VERSION.test(value) || BigInt(value) > MAX_BIGINT) throw invalid('bad version');
  return BigInt(value).toString();
}

/** The key must name exactly the table's key columns, each with a scalar value. */
function keyText(value: unknown, keyColumns: readonly string[]): string {
  if (typeof value !== 'string') throw invalid('bad key');
  let key: unknown;
  try {
    key = JSON.parse(value);
  } catch {
    throw invalid('bad key');
  }
  if (!isPlainObject(key)) throw invalid('bad key');
  const names = Object.keys(key).sort();
  if (names.join(',') !== [...keyColumns].sort().join(',')) throw invalid('key columns differ');
  for (const item of Object.values(key)) {
    if (typeof item !== 'string' && typeof item !== 'boolean' && !(typeof item === 'number' && Number.isFinite(item))) throw invalid('bad key value');
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The names a cursor's key uses: the central key columns' own names, in both dialects, because the PostgreSQL
 * reads compare the cursor with the change log's key (jsonb of the central columns) as it is.
 */
export const cursorKeyNames = (table: ServedTable): string[] => table.keys.map((key) => key.source);
