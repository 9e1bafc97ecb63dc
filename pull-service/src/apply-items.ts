import type { Queryable } from '@goldpdv/core';
import type { CheckedPage, PageItem } from './page-items.js';
import type { TableSql } from './table-sql.js';

/**
 * Applies rows of one page inside the caller's transaction, set-based: the tombstones in one DELETE (after
 * the cascades into pulled children), the upserts in one INSERT ... ON CONFLICT / MERGE. Keys of a page are
 * distinct, so the order of the two does not change the result; deletes go first so that a row whose unique
 * value moved to another row of the page is out of the way.
 */
export async function applyItems(tx: Queryable, sql: TableSql, page: CheckedPage, items: readonly PageItem[] = page.items): Promise<number> {
  const deletes: unknown[] = [];
  const upserts: unknown[] = [];
  for (const item of items) {
    if (item.op === 'delete') deletes.push(item.key);
    else upserts.push(item.row);
  }
  if (deletes.length > 0) {
    const keys = JSON.stringify(deletes);
    for (const statement of sql.deleteByKeys) await tx.query(statement, [keys]);
  }
  if (upserts.length > 0) await tx.query(sql.upsert(page.columns), [JSON.stringify(upserts)]);
  return items.length;
}
