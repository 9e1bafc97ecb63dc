import type { Queryable } from '@goldpdv/core';

/**
 * Per table, the highest transaction id with a change that is already settled (below sync_settled_bound(), the
 * bound the reads use):
 * it moves exactly when a new change becomes servable, whether its transaction committed in order or not.
 * One index probe per table, backwards on (table_name, txid).
 */
export const CHANGE_HEADS_SQL = `
SELECT t.table_name,
       (SELECT l.txid::text FROM sync_change_log AS l
         WHERE l.table_name = t.table_name AND l.txid < b.bound
         ORDER BY l.txid DESC LIMIT 1) AS head
  FROM sync_change_tracking AS t
 CROSS JOIN (SELECT sync_settled_bound()::text::xid8 AS bound) AS b
 WHERE t.table_name = ANY ($1::text[])`;

export async function readChangeHeadsPostgres(db: Queryable, tables: readonly string[]): Promise<Map<string, string>> {
  const rows = (await db.query<{ table_name: string; head: string | null }>(CHANGE_HEADS_SQL, [[...tables]])).rows;
  return new Map(rows.map((row) => [row.table_name, row.head ?? 'none']));
}
