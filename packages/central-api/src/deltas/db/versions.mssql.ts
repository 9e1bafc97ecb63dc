import { PermanentError, type Queryable } from '@goldpdv/core';
import { incarnationOf } from './incarnation.js';
import type { UpperHint, VersionWindow } from './page-reads.js';

/** Reads the recovery fork and database GUIDs into @recovery_fork and @database_guid, off Azure SQL Database only. */
export const INCARNATION_PRELUDE_SQL = `DECLARE @recovery_fork char(36) = NULL, @database_guid char(36) = NULL;
IF CONVERT(int, SERVERPROPERTY('EngineEdition')) <> 5
    SELECT @recovery_fork = CONVERT(char(36), rs.recovery_fork_guid), @database_guid = CONVERT(char(36), rs.database_guid)
      FROM sys.database_recovery_status AS rs
     WHERE rs.database_id = DB_ID();`;

/** The incarnation's parts as columns, after INCARNATION_PRELUDE_SQL. */
export const INCARNATION_COLUMNS_SQL = `@recovery_fork AS recovery_fork,
       @database_guid AS database_guid,
       (SELECT CONVERT(char(36), m.mark) FROM dbo.sync_restore_mark AS m WHERE m.mark_id = 1) AS restore_mark`;

/**
 * Versions on SQL Server are Change Tracking versions, assigned at commit, so commit order is version order
 * and CHANGE_TRACKING_CURRENT_VERSION() is a settled upper bound by itself. A window is (since, to], with
 * Microsoft's meaning of a last synchronisation version: every change up to and including it was applied.
 *
 * Both values are read by the first statement of the SNAPSHOT transaction, before CHANGETABLE, as Microsoft
 * documents for consistent results (validate the checkpoint and take the version for next time, then read the
 * changes, all in one snapshot transaction, so the cleanup cannot remove changes between the check and the
 * read). Changes committed after the current version was taken are cut off by `SYS_CHANGE_VERSION <= @to`
 * and served by the next window. Versions are bigint; they travel as varchar so that the driver never turns
 * them into JS numbers.
 *
 * The same statement reads the database's incarnation (incarnation.ts) from sys.database_recovery_status:
 * recovery_fork_guid, which a restore that is not rolled forward to the end of the log (a point-in-time
 * restore, a full backup recovered without its logs, an earlier log backup) replaces with a new recovery
 * branch, and database_guid, which RESTORE generates anew when it creates the database (a restore to another
 * server, a log-shipping secondary brought online). Seeing the row takes VIEW ANY DATABASE (granted to public
 * by default) or owning the database; without it both read NULL and only the restore mark is left. The mark
 * (dbo.sync_restore_mark, central/0008) is what an operator moves by hand with dbo.sync_mark_restore.
 *
 * Azure SQL Database (SERVERPROPERTY('EngineEdition') = 5) has no sys.database_recovery_status, and a statement
 * naming a missing object fails when it is compiled, which for a batch's statement is when it is reached: so the
 * view is read by its own statement, behind the IF, and there the incarnation rests on the restore mark alone
 * (a point-in-time restore on Azure creates a new database, which an operator marks with dbo.sync_mark_restore).
 * `@p1` is the table's quoted schema.name (trackingName), as OBJECT_ID expects.
 */
export const WINDOW_STATE_SQL = `
${INCARNATION_PRELUDE_SQL}
SELECT CONVERT(varchar(20), CHANGE_TRACKING_CURRENT_VERSION()) AS current_version,
       CONVERT(varchar(20), CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID(@p1))) AS min_valid,
       ${INCARNATION_COLUMNS_SQL};`;

interface WindowStateRow {
  current_version: string | null;
  min_valid: string | null;
  recovery_fork: string | null;
  database_guid: string | null;
  restore_mark: string | null;
}

/**
 * The upper version is the current one; minValid is null when the table is no longer tracked (dropped, or
 * tracking turned off). With a hint from the same incarnation at or below the current version, the hint is the
 * upper version: versions are assigned at commit, so every version up to it stays final.
 */
export async function readWindowState(tx: Queryable, table: string, hint: UpperHint | null = null): Promise<VersionWindow> {
  const row = (await tx.query<WindowStateRow>(WINDOW_STATE_SQL, [table])).rows[0];
  if (!row || row.current_version === null) throw new PermanentError('Change Tracking is not enabled on this database', { context: { table } });
  const current = BigInt(row.current_version);
  const incarnation = incarnationOf('mssql', [row.recovery_fork, row.database_guid, row.restore_mark]);
  const hinted = hint !== null && hint.incarnation === incarnation && hint.upper <= current;
  return {
    upper: hinted ? hint.upper : current,
    minValid: row.min_valid === null ? null : BigInt(row.min_valid),
    incarnation,
    fromHint: hinted,
  };
}
