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
