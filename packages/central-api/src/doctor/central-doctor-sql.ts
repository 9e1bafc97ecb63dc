/**
 * The central database's own probes of `doctor` (Change Tracking and snapshot isolation), once per dialect
 * (central-doctor-sql.mssql.ts, central-doctor-sql.postgres.ts), with the same result columns. The shared
 * probes (permissions, clock) are core's.
 */
export interface CentralDoctorStatements {
  /** () -> allowed (0/1), state (text) */
  snapshotIsolation: string;
  /** () -> no row when the database has no change tracking; else retention_minutes, auto_cleanup (0/1) */
  changeRetention: string;
  /** () -> table_name, found (0/1), capturing (0/1): every tracked table, and whether its changes are recorded */
  trackedTables: string;
}
