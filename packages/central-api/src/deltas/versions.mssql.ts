import type { Queryable } from '@goldpdv/core';

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
 */
export const WINDOW_STATE_SQL = `
SELECT CONVERT(varchar(20), CHANGE_TRACKING_CURRENT_VERSION()) AS current_version,
       CONVERT(varchar(20), CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID(@p1))) AS min_valid;`;

export interface WindowState {
  current: bigint;
  minValid: bigint | null;
}

/** minValid is null when the table is no longer tracked (dropped, or tracking turned off). */
export async function readWindowState(tx: Queryable, table: string): Promise<WindowState> {
  const row = (await tx.query<{ current_version: string | null; min_valid: string | null }>(WINDOW_STATE_SQL, [`dbo.${table}`])).rows[0];
  if (!row || row.current_version === null) throw new Error('Change Tracking is not enabled on this database');
  return { current: BigInt(row.current_version), minValid: row.min_valid === null ? null : BigInt(row.min_valid) };
}
