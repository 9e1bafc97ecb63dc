import { PermanentError, type Queryable } from '@goldpdv/core';
import { incarnationOf } from './incarnation.js';
import type { UpperHint, VersionWindow } from './page-reads.js';

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
 *
 * The incarnation (incarnation.ts) stands in for SQL Server's recovery fork: the cluster's system identifier
 * (a new one for a cluster initialised anew, e.g. a dump restored elsewhere), its current timeline (the first
 * eight hex digits of the current WAL file name: a point-in-time recovery or a promoted standby starts a new
 * timeline), the database's oid (a database dropped and restored from a dump gets a new one), and the restore
 * mark (sync_restore_mark, moved by hand with sync_mark_restore: a dump restored into the same database
 * changes none of the others). A promoted standby thus counts as a new incarnation even when it had received
 * everything: every PDV re-reads its tables once, which costs time and never data.
 */
/** The parts of the incarnation (incarnation.ts), as columns of a statement that reads them. */
export const INCARNATION_COLUMNS_SQL = `(SELECT c.system_identifier::text FROM pg_control_system() AS c) AS system_identifier,
       left(pg_walfile_name(pg_current_wal_lsn()), 8) AS timeline,
       (SELECT d.oid::text FROM pg_database AS d WHERE d.datname = current_database()) AS database_oid,
       (SELECT m.mark::text FROM sync_restore_mark AS m WHERE m.mark_id = 1) AS restore_mark`;

export interface IncarnationRow {
  system_identifier: string | null;
  timeline: string | null;
  database_oid: string | null;
  restore_mark: string | null;
}

export const incarnationPartsOf = (row: IncarnationRow): (string | null)[] => [row.system_identifier, row.timeline, row.database_oid, row.restore_mark];

/**
 * The window state, with the settled bound or without it: a read that brings a bound the serving clock took
 * (live/serving-clock.ts) skips sync_settled_bound(), whose pg_stat_activity scan is most of a small read's cost.
 */
const windowStateSql = (withBound: boolean): string => `
SELECT ${withBound ? 'sync_settled_bound()::text' : 'NULL::text'} AS bound,
       (SELECT t.min_valid_version::text FROM sync_change_tracking AS t WHERE t.table_name = $1) AS min_valid,
       ${INCARNATION_COLUMNS_SQL}`;

export const WINDOW_STATE_SQL = windowStateSql(true);
export const WINDOW_STATE_WITHOUT_BOUND_SQL = windowStateSql(false);

interface WindowStateRow extends IncarnationRow {
  bound: string | null;
  min_valid: string | null;
}

/**
 * The upper version is the settled bound; a table never cleaned up has a minimum valid version of 0. With a
 * hint from this database's same incarnation, the hint's bound is the upper version (any settled bound is a
 * valid one, however old); from another incarnation the bound is read here after all.
 */
export async function readWindowState(tx: Queryable, table: string, hint: UpperHint | null = null): Promise<VersionWindow> {
  const row = (await tx.query<WindowStateRow>(hint ? WINDOW_STATE_WITHOUT_BOUND_SQL : WINDOW_STATE_SQL, [table])).rows[0];
  if (!row) throw new PermanentError('the window state query returned no row', { context: { table } });
  const incarnation = incarnationOf('postgres', incarnationPartsOf(row));
  if (hint && hint.incarnation !== incarnation) return readWindowState(tx, table, null);
  return {
    upper: hint ? hint.upper : BigInt(row.bound!),
    minValid: BigInt(row.min_valid ?? '0'),
    incarnation,
    fromHint: hint !== null,
  };
}
