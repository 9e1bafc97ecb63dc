import { z } from 'zod';

/**
 * The pull contract between pull-service and the central API (GET /v1/changes, GET /v1/snapshot), shared so
 * both sides validate the same shapes. Values keep their exact meaning on the wire:
 * - int/smallint: JSON numbers; bigint: decimal strings (beyond 2^53 a JSON number is not exact);
 * - decimal/numeric/money: strings with the column's scale, e.g. "1234.5600";
 * - date "2026-11-30", time "10:15:00.1234567", timestamp (datetime2) "2026-11-30T10:15:00.1234567",
 *   timestamptz (datetimeoffset) "2026-11-30T10:15:00.1234567-03:00": strings, never JS Dates;
 * - uuid: lowercase string; bool: true/false; binary: base64 string; text: string; NULL: null.
 * Edge values that JSON or a naive form would change travel as exact strings, and a local database that cannot
 * hold one refuses that row with its reason (never a silent change):
 * - float: a JSON number when finite and not negative zero; otherwise the string "-0", "NaN", "Infinity" or
 *   "-Infinity" (JSON has no form for them, and JSON.stringify(-0) is "0");
 * - time: "24:00:00" (with the column's fractional digits, e.g. "24:00:00.000000") is PostgreSQL's end of day
 *   (23:59:59.9999995 and later round to it); it is sent as it is, never wrapped to "00:00:00";
 * - date, timestamp, timestamptz: PostgreSQL's "infinity" and "-infinity" are sent as those strings; a date
 *   before year 1 keeps its era as a " BC" suffix, e.g. "0044-03-15 BC", "0044-03-15T10:00:00.000000 BC",
 *   "0044-03-15T10:00:00.000000+00:00 BC" (year 1 BC is "0001-... BC", as PostgreSQL writes it).
 * Versions (Change Tracking versions, or transaction ids on PostgreSQL) are decimal strings.
 */
/**
 * The pull contract's version, sent by pull-service as the `Sync-Contract` request header. 2 added the Sync-Token
 * (proof of a table's initial data) and the Sync-Incarnation; a request without the header is contract 1, which
 * central-api keeps serving while PULL_CONTRACT_V1 is on, so that a fleet can be upgraded store by store.
 */
export const SYNC_CONTRACT_VERSION = 2;
export const SYNC_CONTRACT_HEADER = 'sync-contract';

export const COLUMN_TYPES = ['int', 'bigint', 'decimal', 'float', 'string', 'bool', 'date', 'time', 'timestamp', 'timestamptz', 'uuid', 'binary'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

export const versionSchema = z.string().regex(/^\d{1,20}$/, { message: 'must be a version number as a decimal string' });
export const columnSchema = z.object({ name: z.string().min(1), type: z.enum(COLUMN_TYPES) });
export type ColumnDescription = z.infer<typeof columnSchema>;

const rowValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const rowSchema = z.record(z.string(), rowValue);
export type SyncRow = z.infer<typeof rowSchema>;

export const changeSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('upsert'), version: versionSchema, key: rowSchema, row: rowSchema }),
  z.object({ op: z.literal('delete'), version: versionSchema, key: rowSchema }),
]);
export type Change = z.infer<typeof changeSchema>;

/**
 * GET /v1/changes?table=T&since=V[&cursor=C][&limit=N][&wait=MS]: net changes after version `since` up to the
 * fixed `toVersion`, paged by (version, key). While `hasMore`, ask again with `cursor` (same window); once it
 * is false, `toVersion` is the new checkpoint. Deletes come as keys only (tombstones); they reach every PDV,
 * except on a table filtered by a column of its key, where the key says which loja's PDVs the row was for.
 */
export const changesPageSchema = z.object({
  table: z.string(),
  sinceVersion: versionSchema,
  toVersion: versionSchema,
  keyColumns: z.array(z.string()).min(1),
  columns: z.array(columnSchema),
  changes: z.array(changeSchema),
  hasMore: z.boolean(),
  nextCursor: z.string().nullable(),
});
export type ChangesPage = z.infer<typeof changesPageSchema>;

/**
 * GET /v1/snapshot?table=T[&cursor=C][&limit=N]: every row (filtered for the caller), ordered by key, paged.
 * `snapshotVersion` is taken before the first page is read and carried in the cursor: after the last page the
 * client resumes deltas from it, which replays (idempotently) whatever changed while the snapshot was read.
 */
export const snapshotPageSchema = z.object({
  table: z.string(),
  snapshotVersion: versionSchema,
  keyColumns: z.array(z.string()).min(1),
  columns: z.array(columnSchema),
  rows: z.array(rowSchema),
  hasMore: z.boolean(),
  nextCursor: z.string().nullable(),
});
export type SnapshotPage = z.infer<typeof snapshotPageSchema>;

/** HTTP 410 problem body: the checkpoint is older than what the server still tracks. */
export const RESET_REQUIRED_TYPE = 'https://goldpdv.dev/problems/reset-required';
export const resetRequiredSchema = z.object({
  type: z.literal(RESET_REQUIRED_TYPE),
  title: z.string(),
  status: z.literal(410),
  table: z.string(),
  minValidVersion: versionSchema,
  sinceVersion: versionSchema,
});
export type ResetRequired = z.infer<typeof resetRequiredSchema>;

/**
 * HTTP 409 problem body: the table cannot be served as declared right now (a declared column is gone from the
 * central database, or its type no longer travels exactly). Only this table stops; the client records the reason
 * in its status and goes on with the others, and asks again later.
 */
export const TABLE_PAUSED_TYPE = 'https://goldpdv.dev/problems/table-paused';
export const tablePausedSchema = z.object({
  type: z.literal(TABLE_PAUSED_TYPE),
  title: z.string(),
  status: z.literal(409),
  table: z.string(),
  reason: z.string(),
});
export type TablePaused = z.infer<typeof tablePausedSchema>;

/** GET /v1/tables: what the caller may pull, in dependency order (parents first). */
export const tablesResponseSchema = z.object({
  tables: z.array(z.object({ table: z.string(), keyColumns: z.array(z.string()).min(1), filtered: z.boolean() })),
});
export type TablesResponse = z.infer<typeof tablesResponseSchema>;

/*
 * Pages are the bulk of what a PDV reads, and a schema walk per value costs more than the rest of the client's
 * work on a page. asChangesPage and asSnapshotPage accept a parsed body only when it is exactly what the schema
 * above would accept and give back unchanged (no unknown property anywhere, which the schema would strip), and
 * return it as it is; for anything else they return null, and the caller runs the schema, which then decides
 * and names the field at fault. They never accept what the schema refuses.
 */
const VERSION_TEXT = /^\d{1,20}$/;
const COLUMN_TYPE_NAMES: ReadonlySet<string> = new Set(COLUMN_TYPES);

type Json = Record<string, unknown>;

/** A plain JSON object with exactly `size` own properties, none of them __proto__ (which the schema drops). */
function isObjectOfSize(value: unknown, size: number): value is Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.keys(value).length === size && !Object.prototype.hasOwnProperty.call(value, '__proto__');
}

const isVersion = (value: unknown): boolean => typeof value === 'string' && VERSION_TEXT.test(value);

function isRow(value: unknown): value is SyncRow {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.prototype.hasOwnProperty.call(value, '__proto__')) return false;
  for (const item of Object.values(value)) {
    if (item !== null && typeof item !== 'string' && typeof item !== 'boolean' && !(typeof item === 'number' && Number.isFinite(item))) return false;
  }
  return true;
}

function isHeader(page: Json): boolean {
  if (typeof page.table !== 'string' || typeof page.hasMore !== 'boolean') return false;
  if (page.nextCursor !== null && typeof page.nextCursor !== 'string') return false;
  const keyColumns = page.keyColumns;
  if (!Array.isArray(keyColumns) || keyColumns.length === 0 || !keyColumns.every((name) => typeof name === 'string')) return false;
  const columns = page.columns;
  return (
    Array.isArray(columns) &&
    columns.every((column) => isObjectOfSize(column, 2) && typeof column.name === 'string' && column.name.length > 0 && COLUMN_TYPE_NAMES.has(column.type as string))
  );
}

function isChange(change: unknown): boolean {
  if (typeof change !== 'object' || change === null) return false;
  const { op } = change as Json;
  if (op === 'upsert') return isObjectOfSize(change, 4) && isVersion(change.version) && isRow(change.key) && isRow(change.row);
  if (op === 'delete') return isObjectOfSize(change, 3) && isVersion(change.version) && isRow(change.key);
  return false;
}

/** `json` as a ChangesPage when changesPageSchema would accept it unchanged; otherwise null (run the schema). */
export function asChangesPage(json: unknown): ChangesPage | null {
  if (!isObjectOfSize(json, 8) || !isHeader(json) || !isVersion(json.sinceVersion) || !isVersion(json.toVersion)) return null;
  const changes = json.changes;
  return Array.isArray(changes) && changes.every(isChange) ? (json as unknown as ChangesPage) : null;
}

/** `json` as a SnapshotPage when snapshotPageSchema would accept it unchanged; otherwise null (run the schema). */
export function asSnapshotPage(json: unknown): SnapshotPage | null {
  if (!isObjectOfSize(json, 7) || !isHeader(json) || !isVersion(json.snapshotVersion)) return null;
  const rows = json.rows;
  return Array.isArray(rows) && rows.every(isRow) ? (json as unknown as SnapshotPage) : null;
}

/**
 * A first page a wait answer carries: what GET /v1/changes from the table's `since` with the same `limit` and
 * Sync-Token would have answered, its Sync-Token and incarnation included (there, response headers).
 */
export const waitPageSchema = z.object({
  page: changesPageSchema,
  syncToken: z.string().min(1).max(1_000),
  incarnation: z.string().min(1).max(64),
});
export type WaitPage = z.infer<typeof waitPageSchema>;

/**
 * GET /v1/changes/wait?tables=<table>:<since>,...&wait=<ms>: one long poll for several tables. It answers as
 * soon as one of them has changes this PDV may see after its `since` (or must be looked at: reset, paused), with
 * their names, or after the wait with none. The incarnation is the central database's now, so that a PDV loaded
 * from another one notices without a read.
 *
 * Without `limit` it carries no rows: the PDV then reads each named table's pages. With `limit` and the tables'
 * Sync-Tokens (the Sync-Tokens request header, `<table>=<token>, ...`), it also carries `pages`: the first page
 * of each named table whose token admits it, so that a change costs the PDV one request instead of two. A named
 * table with no page there (no token given, a reset, a pause) is read as before.
 */
export const changesWaitSchema = z.object({
  changed: z.array(z.string()),
  incarnation: z.string().nullable(),
  pages: z.array(waitPageSchema).optional(),
});
export type ChangesWaitAnswer = z.infer<typeof changesWaitSchema>;

/** The request header of GET /v1/changes/wait that carries each table's Sync-Token: `<table>=<token>, ...`. */
export const SYNC_TOKENS_HEADER = 'sync-tokens';

/**
 * The heartbeat line of GET /v1/changes/stream, exactly this text: sent after each `heartbeat` ms without a
 * line, when the request asks for them. It carries nothing; it keeps the connection alive through proxies and
 * tells the PDV that the stream still stands.
 */
export const STREAM_HEARTBEAT_LINE = '{"heartbeat":true}';

/** The response header of GET /v1/changes/stream naming the heartbeat interval honoured (ms); absent: no heartbeats. */
export const STREAM_HEARTBEAT_HEADER = 'stream-heartbeat';

/** How many tables one GET /v1/changes/wait may name. */
export const MAX_WAIT_TABLES = 64;
