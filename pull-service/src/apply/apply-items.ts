import type { Queryable, SyncRow } from '@goldpdv/core';
import type { CheckedPage, PageItem } from '../api/page-checks.js';
import type { ApplyStore, StaleRange } from '../db/apply-store.js';

/** Everything one page writes to its table, besides the checkpoint. */
export interface PageWrite {
  page: CheckedPage;
  /** Snapshot pages: the range of keys the page covers, whose local rows not in the page are gone centrally. */
  stale?: StaleRange | null;
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
export async function applyItems(tx: Queryable, store: ApplyStore, write: PageWrite, items: readonly PageItem[] = write.page.items): Promise<SyncRow[]> {
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
  if (tombstones.length > 0) left.push(...(await store.deleteKeys(tx, tombstones)));
  if (write.stale) left.push(...(await store.deleteStale(tx, write.stale)));
  if (rows.length > 0) await store.upsert(tx, write.page.columns, rows);

  let pending: readonly SyncRow[] = write.pending;
  if (pending.length > 0 && upsertedKeys.length > 0) pending = await store.keysNotIn(tx, pending, upsertedKeys);
  if (pending.length > 0) pending = await store.deleteKeys(tx, pending);
  return distinctKeys([...pending, ...left]);
}

/** Tries the pending deletes of a table that had no rows in its page (its children may have moved since). */
export async function retryPendingDeletes(tx: Queryable, store: ApplyStore, pending: readonly SyncRow[]): Promise<SyncRow[]> {
  return pending.length === 0 ? [] : distinctKeys(await store.deleteKeys(tx, pending));
}

function distinctKeys(keys: readonly SyncRow[]): SyncRow[] {
  const seen = new Map(keys.map((key) => [JSON.stringify(key), key]));
  return [...seen.values()];
}
