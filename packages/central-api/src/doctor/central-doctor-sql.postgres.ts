import type { CentralDoctorStatements } from './central-doctor-sql.js';

export const CENTRAL_DOCTOR_SQL_POSTGRES: CentralDoctorStatements = {
  // REPEATABLE READ is PostgreSQL's snapshot isolation; no database setting can turn it off.
  snapshotIsolation: `SELECT 1 AS allowed, 'REPEATABLE READ is always available' AS state`,
  // The emulation's retention is a setting in days (common/postgres/central/0002_change_tracking.sql).
  changeRetention: `SELECT CAST(round(value::numeric * 1440) AS bigint) AS retention_minutes, 1 AS auto_cleanup
FROM sync_settings WHERE name = 'change_retention_days'`,
  // A tracked table records its changes only while its sync_track_change trigger exists and fires: a disabled
  // (or dropped) trigger loses every change silently, as Change Tracking never would.
  trackedTables: `SELECT t.table_name,
       CASE WHEN to_regclass(quote_ident(t.table_name)) IS NULL THEN 0 ELSE 1 END AS found,
       CASE WHEN EXISTS (SELECT 1 FROM pg_trigger AS g
                          WHERE g.tgrelid = to_regclass(quote_ident(t.table_name)) AND g.tgname = 'sync_track_change'
                            AND g.tgenabled IN ('O', 'A')) THEN 1 ELSE 0 END AS capturing
FROM sync_change_tracking AS t
ORDER BY t.table_name`,
};
