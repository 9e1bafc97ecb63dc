import type { Queryable } from '@goldpdv/core';

/**
 * Change Tracking has one version counter for the whole database, moved by every commit that touches a
 * tracked table: reading it is one cheap call, and a change to any table wakes the waiters of every table,
 * which then read their own window once (an empty re-read costs less than a CHANGETABLE probe per table).
 */
export const CHANGE_HEADS_SQL = `SELECT CONVERT(varchar(20), CHANGE_TRACKING_CURRENT_VERSION()) AS head;`;

export async function readChangeHeadsMssql(db: Queryable, tables: readonly string[]): Promise<Map<string, string>> {
  const head = (await db.query<{ head: string | null }>(CHANGE_HEADS_SQL)).rows[0]?.head ?? 'none';
  return new Map(tables.map((table) => [table, head]));
}
