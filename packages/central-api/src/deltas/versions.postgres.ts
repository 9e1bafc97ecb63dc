import type { Queryable } from '@goldpdv/core';

/**
 * Versions on PostgreSQL are transaction ids (xid8 as decimal text). A window is half-open, [since, to):
 * a checkpoint `v` means "every change whose transaction id is below v has been applied".
 *
 * The upper bound is the xmin of the reading transaction's snapshot. Every transaction id below xmin belongs
 * to a transaction that has committed or aborted, and every transaction that starts later gets an id at or
 * above the next id, which is at least xmin. So once a window [since, xmin) is read, no change can ever appear
 * in it again: the ids below xmin are settled for good. That is the whole invariant. A transaction that wrote
 * early but commits late (A below, B above it, B commits first) holds xmin at or below its own id for as long
 * as it is open, so windows stop below A, B is not served yet either, and when A commits the next window
 * [A, ...) serves both. Serving by sequence number instead would serve B, move past it, and lose A.
 * Changes of a committed transaction with an id below xmin are visible to that same snapshot, which is why the
 * bound and the rows come from one REPEATABLE READ transaction.
 *
 * Transaction ids are cluster-wide, so a transaction left open in any database of the same server holds the
 * bound back too: deltas are then late (the long poll keeps waiting), never lost. Keep the central database's
 * server free of long transactions, as Change Tracking's own cleanup on SQL Server also expects.
 *
 * min_valid_version follows the same reading: a checkpoint below it may miss deleted change-log rows
 * (retention raises it to the highest deleted id + 1), so such a client must re-snapshot.
 */
export const WINDOW_STATE_SQL = `
SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS bound,
       (SELECT t.min_valid_version::text FROM sync_change_tracking AS t WHERE t.table_name = $1) AS min_valid`;

export interface WindowState {
  bound: bigint;
  minValid: bigint;
}

export async function readWindowState(tx: Queryable, table: string): Promise<WindowState> {
  const row = (await tx.query<{ bound: string; min_valid: string | null }>(WINDOW_STATE_SQL, [table])).rows[0];
  if (!row) throw new Error('the window state query returned no row');
  return { bound: BigInt(row.bound), minValid: BigInt(row.min_valid ?? '0') };
}
