import { PermanentError, type Queryable } from '@goldpdv/core';
import { upperOf, type ClockReading } from './clock-reading.js';
import { incarnationOf } from './incarnation.js';
import { INCARNATION_COLUMNS_SQL, incarnationPartsOf, type IncarnationRow } from './versions.postgres.js';

/**
 * One statement per clock tick: the settled bound (sync_settled_bound(), which reads pg_stat_activity and is the
 * costly part of a read, hence once per tick and replica rather than once per request), the incarnation, and
 * per tracked table its latest change below the bound (one backward probe of ix_sync_change_log_paging
 * (table_name, txid, ...) per table) and its minimum valid version. With no table asked about, the one row still carries bound and incarnation.
 * `unsettled`: a committed change at or above the bound (one probe of ix_sync_change_log_txid), which a later
 * tick serves without a notification of its own (central/0017 notified when it committed).
 */
export const CLOCK_SQL = `
SELECT b.bound::text AS bound, b.unsettled,
       ${INCARNATION_COLUMNS_SQL},
       t.table_name, t.min_valid_version::text AS min_valid,
       (SELECT l.txid::text FROM sync_change_log AS l
         WHERE l.table_name = t.table_name AND l.txid < b.bound
         ORDER BY l.txid DESC LIMIT 1) AS head
  FROM (SELECT s.bound, EXISTS (SELECT 1 FROM sync_change_log AS p WHERE p.txid >= s.bound) AS unsettled
          FROM (SELECT sync_settled_bound()::text::xid8 AS bound) AS s) AS b
  LEFT JOIN sync_change_tracking AS t ON t.table_name = ANY ($1::text[])`;

interface ClockRow extends IncarnationRow {
  bound: string;
  unsettled: boolean;
  table_name: string | null;
  min_valid: string | null;
  head: string | null;
}

export async function readClockPostgres(db: Queryable, tables: readonly string[]): Promise<ClockReading> {
  const rows = (await db.query<ClockRow>(CLOCK_SQL, [[...tables]])).rows;
  const first = rows[0];
  if (!first) throw new PermanentError('the serving clock query returned no row');
  const quietFrom = new Map<string, bigint>();
  // Windows are [since, upper): one starting just above the latest change holds none of it. Retention may have
  // deleted changes above a client's version: below the minimum valid version the read must answer the reset.
  for (const row of rows) {
    if (row.table_name === null) continue;
    const aboveHead = row.head === null ? 0n : BigInt(row.head) + 1n;
    const minValid = BigInt(row.min_valid ?? '0');
    quietFrom.set(row.table_name, aboveHead > minValid ? aboveHead : minValid);
  }
  const bound = BigInt(first.bound);
  return { upper: upperOf(quietFrom, bound), bound, incarnation: incarnationOf('postgres', incarnationPartsOf(first)), quietFrom, unsettled: first.unsettled === true };
}
