import type { Queryable } from '@goldpdv/core';

/**
 * Versions on PostgreSQL are transaction ids (xid8 as decimal text). A window is half-open, [since, to):
 * a checkpoint `v` means "every change whose transaction id is below v has been applied".
 *
 * The upper bound is the settled bound, sync_settled_bound() (0005_change_log_retention.sql): the xmin of the
 * reading transaction's snapshot, leaving out transactions known to run in another database. Every id of this
 * database below it belongs to a transaction that has committed or aborted, and every transaction that starts
 * later gets an id at or above the snapshot's xmax, which is at least the bound. So once a window
 * [since, bound) is read, no change can ever appear in it again. That is the whole invariant. A transaction
 * that wrote early but commits late (A below, B above it, B commits first) holds the bound at or below its
 * own id for as long as it is open, so windows stop below A, B is not served yet either, and when A commits
 * the next window [A, ...) serves both. Serving by sequence number instead would serve B, move past it, and
 * lose A. Changes of a committed transaction below the bound are visible to that same snapshot, which is why
 * the bound and the rows come from one REPEATABLE READ transaction.
 *
 * A long transaction in this database holds the bound back: deltas are then late (a long poll keeps
 * waiting), never lost.
 *
 * min_valid_version follows the same reading: a checkpoint below it may miss deleted change-log rows
 * (retention raises it to the highest deleted id + 1), so such a client must re-snapshot.
 */
export const WINDOW_STATE_SQL = `
SELECT sync_settled_bound()::text AS bound,
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
