import { PermanentError, type Queryable, type SyncRow } from '@goldpdv/core';

/**
 * One sync_checkpoint row per pulled table (by central name). Every method that moves a checkpoint takes the
 * transaction that applies the page, so the rows and the checkpoint commit together or not at all.
 */
export interface Checkpoint {
  table: string;
  /** Last central version fully applied (deltas resume after it). */
  version: string;
  mode: 'delta' | 'snapshot';
  /** The central API's proof that the table's initial data was loaded (the Sync-Token), sent with every delta request. */
  syncToken: string | null;
  /** The incarnation of the central database the table was loaded from (Sync-Incarnation); null when none was told. */
  incarnation: string | null;
  /** Within a delta window that spans pages: where the next page starts, and the window's end. */
  deltaCursor: string | null;
  deltaToVersion: string | null;
  /** While the table is in a snapshot: the version deltas resume from, the server's cursor and the last key applied. */
  snapshotVersion: string | null;
  snapshotCursor: string | null;
  snapshotLastKey: SyncRow | null;
  rowsApplied: string;
  /** Keys of rows deleted centrally that local rows still refer to; deleted once nothing refers to them. */
  pendingDeletes: SyncRow[];
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  /** The fingerprint of the columns the table's pages applied (null before pdv/0012's first page). */
  appliedColumns: string | null;
  /** Central columns the pages carry that no local column maps to, comma separated; null when none. */
  ignoredColumns: string | null;
}

/** What the page's columns leave in the checkpoint: see page-checks.ts (columnsFingerprint) and pdv/0012. */
export interface AppliedColumns {
  fingerprint: string;
  ignored: string | null;
}

/** Where a delta page leaves the checkpoint: the window's end, or (more pages to come) the next page's cursor. */
export interface DeltaMove {
  version: string;
  cursor: string | null;
  toVersion: string;
  /** The Sync-Token the page came with (the same proof, possibly under a newer key). */
  syncToken: string | null;
  incarnation: string | null;
  rowsApplied: number;
  pendingDeletes: readonly SyncRow[];
  columns: AppliedColumns;
}

export interface SnapshotPageMove {
  snapshotVersion: string;
  /** The incarnation the snapshot's pages come from: every later page must come from the same one. */
  incarnation: string | null;
  cursor: string;
  lastKey: SyncRow | null;
  rowsApplied: number;
  pendingDeletes: readonly SyncRow[];
  columns: AppliedColumns;
}

export interface SnapshotFinish {
  version: string;
  /** The Sync-Token of the snapshot's last page. */
  syncToken: string | null;
  incarnation: string | null;
  rowsApplied: number;
  pendingDeletes: readonly SyncRow[];
  columns: AppliedColumns;
}

/** The checkpoint operations, one method per operation; the same on both dialects (pull-stores.ts picks one). */
export interface CheckpointStore {
  /** Makes sure each pulled table has its row: a table new here starts with a snapshot. */
  ensure(db: Queryable, tables: readonly string[]): Promise<void>;
  readAll(db: Queryable): Promise<Map<string, Checkpoint>>;
  advanceDelta(tx: Queryable, from: Checkpoint, to: DeltaMove): Promise<void>;
  /** A cursor the server no longer accepts: the delta window starts again from the checkpoint. */
  clearDeltaCursor(db: Queryable, table: string): Promise<void>;
  /** Switches a table to a snapshot: its next pages come from GET /v1/snapshot, from the first one. */
  startSnapshot(db: Queryable, table: string): Promise<void>;
  saveSnapshotPage(tx: Queryable, from: Checkpoint, to: SnapshotPageMove): Promise<void>;
  /** After the snapshot's last page: back to deltas, from the snapshot's version. */
  finishSnapshot(tx: Queryable, from: Checkpoint, to: SnapshotFinish): Promise<void>;
  /** Keeps the checkpoint where it is and says why (stop-table, contract error...). */
  recordTableError(db: Queryable, table: string, reason: string): Promise<void>;
}

/** The statements of one dialect (checkpoint-store.postgres.ts, checkpoint-store.mssql.ts): same parameters on both. */
export interface CheckpointStatements {
  ensureCheckpoints: string;
  readCheckpoints: string;
  advanceDelta: string;
  clearDeltaCursor: string;
  startSnapshot: string;
  saveSnapshotPage: string;
  finishSnapshot: string;
  recordTableError: string;
}

interface CheckpointRow {
  table_name: string;
  version: string;
  mode: string;
  sync_token: string | null;
  incarnation: string | null;
  snapshot_version: string | null;
  snapshot_cursor: string | null;
  snapshot_last_key: string | null;
  delta_cursor: string | null;
  delta_to_version: string | null;
  rows_applied: string;
  pending_deletes: string | null;
  last_success_at: string | Date | null;
  last_error: string | null;
  last_error_at: string | Date | null;
  applied_columns: string | null;
  ignored_columns: string | null;
}

export function createCheckpointStore(sql: CheckpointStatements): CheckpointStore {
  return {
    async ensure(db, tables) {
      await db.query(sql.ensureCheckpoints, [JSON.stringify(tables)]);
    },
    async readAll(db) {
      const { rows } = await db.query<CheckpointRow>(sql.readCheckpoints);
      return new Map(rows.map((row) => [row.table_name, toCheckpoint(row)]));
    },
    async advanceDelta(tx, from, to) {
      const params = [from.table, to.version, to.cursor, to.toVersion, String(to.rowsApplied), from.version, from.deltaCursor, pendingText(to.pendingDeletes), to.syncToken, to.incarnation, to.columns.fingerprint, to.columns.ignored];
      expectOneRow(from.table, await tx.query(sql.advanceDelta, params));
    },
    async clearDeltaCursor(db, table) {
      await db.query(sql.clearDeltaCursor, [table]);
    },
    async startSnapshot(db, table) {
      await db.query(sql.startSnapshot, [table]);
    },
    async saveSnapshotPage(tx, from, to) {
      const lastKey = to.lastKey === null ? null : JSON.stringify(to.lastKey);
      const params = [from.table, to.snapshotVersion, to.cursor, lastKey, String(to.rowsApplied), from.snapshotCursor, pendingText(to.pendingDeletes), to.incarnation, to.columns.fingerprint, to.columns.ignored];
      expectOneRow(from.table, await tx.query(sql.saveSnapshotPage, params));
    },
    async finishSnapshot(tx, from, to) {
      const params = [from.table, to.version, String(to.rowsApplied), from.snapshotCursor, pendingText(to.pendingDeletes), to.syncToken, to.incarnation, to.columns.fingerprint, to.columns.ignored];
      expectOneRow(from.table, await tx.query(sql.finishSnapshot, params));
    },
    async recordTableError(db, table, reason) {
      await db.query(sql.recordTableError, [table, reason.slice(0, 2_000)]);
    },
  };
}

/**
 * The guarded statements return the row they moved (OUTPUT on SQL Server, RETURNING on PostgreSQL), and that is
 * what is counted: a driver's rows-affected count is not there to count on, since SET NOCOUNT ON (a server-wide
 * 'user options' setting, or a login's) turns it off on SQL Server, and none moved would then look like a success.
 */
function expectOneRow(table: string, result: { rows: readonly unknown[] }): void {
  if (result.rows.length === 1) return;
  throw new PermanentError(`the checkpoint of table ${table} changed while its page was applied (is another pull-service using this database?); the page was rolled back`, {
    context: { table },
  });
}

function toCheckpoint(row: CheckpointRow): Checkpoint {
  return {
    table: row.table_name,
    version: String(row.version),
    mode: row.mode === 'snapshot' ? 'snapshot' : 'delta',
    syncToken: row.sync_token,
    incarnation: row.incarnation,
    deltaCursor: row.delta_cursor,
    deltaToVersion: row.delta_to_version === null ? null : String(row.delta_to_version),
    snapshotVersion: row.snapshot_version === null ? null : String(row.snapshot_version),
    snapshotCursor: row.snapshot_cursor,
    snapshotLastKey: row.snapshot_last_key === null ? null : (JSON.parse(row.snapshot_last_key) as SyncRow),
    rowsApplied: String(row.rows_applied),
    pendingDeletes: row.pending_deletes === null ? [] : (JSON.parse(row.pending_deletes) as SyncRow[]),
    lastSuccessAt: isoOrNull(row.last_success_at),
    lastError: row.last_error,
    lastErrorAt: isoOrNull(row.last_error_at),
    appliedColumns: row.applied_columns ?? null,
    ignoredColumns: row.ignored_columns ?? null,
  };
}

function pendingText(keys: readonly SyncRow[]): string | null {
  return keys.length === 0 ? null : JSON.stringify(keys);
}

function isoOrNull(value: string | Date | null): string | null {
  if (value === null) return null;
  return value instanceof Date ? value.toISOString() : value;
}
