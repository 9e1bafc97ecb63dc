import { PermanentError, type Queryable, type SyncRow } from '@goldpdv/core';
import * as postgres from './checkpoint-store.postgres.js';
import * as mssql from './checkpoint-store.mssql.js';
import type { RejectedRow } from './rejected-row.js';

/**
 * One sync_checkpoint row per pulled table (by central name). Every function that moves a checkpoint takes the
 * transaction that applies the page, so the rows and the checkpoint commit together or not at all.
 */
export interface Checkpoint {
  table: string;
  /** Last central version fully applied (deltas resume after it). */
  version: string;
  mode: 'delta' | 'snapshot';
  /** Within a delta window that spans pages: where the next page starts, and the window's end. */
  deltaCursor: string | null;
  deltaToVersion: string | null;
  /** While re-initialising: the version deltas resume from, the server's cursor and the last key applied. */
  snapshotVersion: string | null;
  snapshotCursor: string | null;
  snapshotLastKey: SyncRow | null;
  rowsApplied: string;
  /** Keys of rows deleted centrally that local rows still refer to; deleted once nothing refers to them. */
  pendingDeletes: SyncRow[];
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

interface CheckpointRow {
  table_name: string;
  version: string;
  mode: string;
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
}

const SQL = { postgres, mssql } as const;

export async function ensureCheckpoints(db: Queryable, tables: readonly string[]): Promise<void> {
  await db.query(SQL[db.dialect].ensureCheckpoints, [JSON.stringify(tables)]);
}

export async function readCheckpoints(db: Queryable): Promise<Map<string, Checkpoint>> {
  const { rows } = await db.query<CheckpointRow>(SQL[db.dialect].readCheckpoints);
  return new Map(rows.map((row) => [row.table_name, toCheckpoint(row)]));
}

/** Moves a delta checkpoint: to the window's end, or (hasMore) to the next page's cursor within the window. */
export async function advanceDelta(
  tx: Queryable,
  from: Checkpoint,
  to: { version: string; cursor: string | null; toVersion: string; rowsApplied: number; pendingDeletes: readonly SyncRow[] },
): Promise<void> {
  const params = [from.table, to.version, to.cursor, to.toVersion, String(to.rowsApplied), from.version, from.deltaCursor, pendingText(to.pendingDeletes)];
  expectOneRow(from.table, await tx.query(SQL[tx.dialect].advanceDelta, params));
}

export async function clearDeltaCursor(db: Queryable, table: string): Promise<void> {
  await db.query(SQL[db.dialect].clearDeltaCursor, [table]);
}

/** Switches a table to re-initialisation: the next pages come from the snapshot, from its first page. */
export async function startSnapshot(db: Queryable, table: string): Promise<void> {
  await db.query(SQL[db.dialect].startSnapshot, [table]);
}

export async function saveSnapshotPage(
  tx: Queryable,
  from: Checkpoint,
  to: { snapshotVersion: string; cursor: string; lastKey: SyncRow | null; rowsApplied: number; pendingDeletes: readonly SyncRow[] },
): Promise<void> {
  const lastKey = to.lastKey === null ? null : JSON.stringify(to.lastKey);
  const params = [from.table, to.snapshotVersion, to.cursor, lastKey, String(to.rowsApplied), from.snapshotCursor, pendingText(to.pendingDeletes)];
  expectOneRow(from.table, await tx.query(SQL[tx.dialect].saveSnapshotPage, params));
}

/** After the snapshot's last page: back to deltas, from the snapshot's version. */
export async function finishSnapshot(tx: Queryable, from: Checkpoint, to: { version: string; rowsApplied: number; pendingDeletes: readonly SyncRow[] }): Promise<void> {
  const params = [from.table, to.version, String(to.rowsApplied), from.snapshotCursor, pendingText(to.pendingDeletes)];
  expectOneRow(from.table, await tx.query(SQL[tx.dialect].finishSnapshot, params));
}

/** Pending deletes retried outside a page (the table had none): the checkpoint itself does not move. */
export async function savePendingDeletes(tx: Queryable, from: Checkpoint, pendingDeletes: readonly SyncRow[]): Promise<void> {
  const params = [from.table, pendingText(pendingDeletes), from.version, pendingText(from.pendingDeletes)];
  expectOneRow(from.table, await tx.query(SQL[tx.dialect].savePendingDeletes, params));
}

/** Keeps the checkpoint where it is and says why (stop-table, contract error...). */
export async function recordTableError(db: Queryable, table: string, reason: string): Promise<void> {
  await db.query(SQL[db.dialect].recordTableError, [table, reason.slice(0, 2_000)]);
}

export async function recordRejectedRows(tx: Queryable, rows: readonly RejectedRow[]): Promise<void> {
  if (rows.length === 0) return;
  const json = rows.map((row) => ({
    table_name: row.table,
    row_key: row.key.slice(0, 400),
    column_name: row.column,
    reason: row.reason.slice(0, 2_000),
    row_data: row.rowData,
    source_version: row.version,
  }));
  await tx.query(SQL[tx.dialect].recordRejectedRows, [JSON.stringify(json)]);
}

function expectOneRow(table: string, result: { rowCount: number }): void {
  if (result.rowCount === 1) return;
  throw new PermanentError(`the checkpoint of table ${table} changed while its page was applied (is another pull-service using this database?); the page was rolled back`, {
    context: { table },
  });
}

function toCheckpoint(row: CheckpointRow): Checkpoint {
  return {
    table: row.table_name,
    version: String(row.version),
    mode: row.mode === 'snapshot' ? 'snapshot' : 'delta',
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
  };
}

function pendingText(keys: readonly SyncRow[]): string | null {
  return keys.length === 0 ? null : JSON.stringify(keys);
}

function isoOrNull(value: string | Date | null): string | null {
  if (value === null) return null;
  return value instanceof Date ? value.toISOString() : value;
}
