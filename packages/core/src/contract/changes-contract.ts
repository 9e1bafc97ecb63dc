import { z } from 'zod';

/**
 * The pull contract between pull-service and the central API (GET /v1/changes, GET /v1/snapshot), shared so
 * both sides validate the same shapes. Values keep their exact meaning on the wire:
 * - int/smallint: JSON numbers; bigint: decimal strings (beyond 2^53 a JSON number is not exact);
 * - decimal/numeric/money: strings with the column's scale, e.g. "1234.5600";
 * - date "2026-11-30", time "10:15:00.1234567", timestamp (datetime2) "2026-11-30T10:15:00.1234567",
 *   timestamptz (datetimeoffset) "2026-11-30T10:15:00.1234567-03:00": strings, never JS Dates;
 * - uuid: lowercase string; bool: true/false; binary: base64 string; text: string; NULL: null.
 * Versions (Change Tracking versions, or transaction ids on PostgreSQL) are decimal strings.
 */
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
 * is false, `toVersion` is the new checkpoint. Deletes come as keys only (tombstones) and reach every PDV.
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
