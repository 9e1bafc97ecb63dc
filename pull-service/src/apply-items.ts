import type { Queryable, SyncRow } from '@goldpdv/core';
import type { CheckedPage, PageItem } from './page-items.js';
import type { DeleteStatements, TableSql } from './table-sql.js';

/** Everything one page writes to its table, besides the checkpoint. */
export interface PageWrite {
  page: CheckedPage;
  /** Snapshot pages: the range of keys the page covers, whose local rows not in the page are gone centrally. */
  stale?: { keys: readonly SyncRow[]; lower: SyncRow | null; upper: SyncRow | null } | null;
  /** The table's pending deletes before this page. */
  pending: readonly SyncRow[];
}

/**
 * Applies rows of one page inside the caller's transaction, set-based: the tombstones in one DELETE, the
 * rows a snapshot page shows are gone in one DELETE, the upserts in one INSERT ... ON CONFLICT / MERGE.
 *
 * A row still referred to by a local row (a child whose own change has not been pulled yet) is not deleted:
 * its key joins the table's pending deletes, which are tried again with every later page of the table (and
 * when it is idle), and dropped when the same key is upserted again. That is how deletes go children first
 * without ever holding a parent's page back, which could deadlock with a child's page that needs a new parent.
 * Returns the pending deletes after this page.
 */
export async function applyItems(tx: Queryable, sql: TableSql, write: PageWrite, items: readonly PageItem[] = write.page.items): Promise<SyncRow[]> {
  const tombstones: SyncRow[] = [];
  const rows: SyncRow[] = [];
  const upsertedKeys: SyncRow[] = [];
  for (const item of items) {
    if (item.op === 'delete') tombstones.push(item.key);
    else {
      rows.push(item.row);
      upsertedKeys.push(item.key);
    }
  }
  const left: SyncRow[] = [];
  if (tombstones.length > 0) left.push(...(await deleteRows(tx, sql.deleteKeys, [JSON.stringify(tombstones)])));
  if (write.stale) {
    const { keys, lower, upper } = write.stale;
    const params = [JSON.stringify(keys), ...(lower ? [JSON.stringify(lower)] : []), ...(upper ? [JSON.stringify(upper)] : [])];
    left.push(...(await deleteRows(tx, sql.deleteStale({ lower: lower !== null, upper: upper !== null }), params)));
  }
  if (rows.length > 0) await tx.query(sql.upsert(write.page.columns), sql.upsertParams(write.page.columns, rows));

  let pending: readonly SyncRow[] = write.pending;
  if (pending.length > 0 && upsertedKeys.length > 0) {
    pending = (await tx.query<SyncRow>(sql.keysNotIn, [JSON.stringify(pending), JSON.stringify(upsertedKeys)])).rows;
  }
  if (pending.length > 0) pending = await deleteRows(tx, sql.deleteKeys, [JSON.stringify(pending)]);
  return distinctKeys([...pending, ...left]);
}

/** Tries the pending deletes of a table that had no page (its children may have moved since). */
export async function retryPendingDeletes(tx: Queryable, sql: TableSql, pending: readonly SyncRow[]): Promise<SyncRow[]> {
  return pending.length === 0 ? [] : distinctKeys(await deleteRows(tx, sql.deleteKeys, [JSON.stringify(pending)]));
}

async function deleteRows(tx: Queryable, statements: DeleteStatements, params: unknown[]): Promise<SyncRow[]> {
  await tx.query(statements.delete, params);
  if (statements.leftOver === null) return [];
  return (await tx.query<SyncRow>(statements.leftOver, params)).rows;
}

function distinctKeys(keys: readonly SyncRow[]): SyncRow[] {
  const seen = new Map(keys.map((key) => [JSON.stringify(key), key]));
  return [...seen.values()];
}
