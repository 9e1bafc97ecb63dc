import type { CentralDoctorStatements } from './central-doctor-sql.js';

export const CENTRAL_DOCTOR_SQL_MSSQL: CentralDoctorStatements = {
  // Every delta and snapshot read runs in one SNAPSHOT transaction; without ALLOW_SNAPSHOT_ISOLATION each fails
  // with error 3952.
  snapshotIsolation: `SELECT CASE WHEN snapshot_isolation_state = 1 THEN 1 ELSE 0 END AS allowed, snapshot_isolation_state_desc AS state
FROM sys.databases WHERE database_id = DB_ID();`,
  // retention_period_units: 1 minutes, 2 hours, 3 days.
  changeRetention: `SELECT retention_period * CASE retention_period_units WHEN 1 THEN 1 WHEN 2 THEN 60 ELSE 1440 END AS retention_minutes,
       CAST(is_auto_cleanup_on AS int) AS auto_cleanup
FROM sys.change_tracking_databases WHERE database_id = DB_ID();`,
  // Change Tracking records every change of a table in sys.change_tracking_tables by itself: nothing can be
  // switched off underneath it short of disabling tracking, which removes the row.
  trackedTables: `SELECT OBJECT_NAME(ctt.object_id) AS table_name, 1 AS found, 1 AS capturing
FROM sys.change_tracking_tables AS ctt
WHERE OBJECT_SCHEMA_NAME(ctt.object_id) = N'dbo'
ORDER BY table_name;`,
};
