import type { DialectName } from './types.js';

/** The statements the schema runner itself emits, per dialect. The T-SQL ones are checked by the grammar test. */
export interface SchemaStatements {
  createVersionTable: string;
  /**
   * Tries to take the schema lock for the session, without waiting; one row, column `granted` (1 or 0). The
   * runner tries again until its deadline. Held for the whole run on one dedicated connection, scripts that
   * cannot run in a transaction included, so that two processes starting together never apply the same script
   * (or enable Change Tracking) twice.
   */
  lock: string;
  unlock: string;
  listApplied: string;
  /** $1 script name → one row when it is recorded. */
  isApplied: string;
  recordApplied: string;
  updateChecksum: string;
}

export const SCHEMA_SQL: Record<DialectName, SchemaStatements> = {
  postgres: {
    createVersionTable: `CREATE TABLE IF NOT EXISTS sync_schema_version (
  script_name varchar(200) PRIMARY KEY,
  checksum char(64) NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`,
    lock: `SELECT CASE WHEN pg_try_advisory_lock(hashtext('goldpdv-sync-schema')) THEN 1 ELSE 0 END AS granted`,
    unlock: `SELECT pg_advisory_unlock(hashtext('goldpdv-sync-schema')) AS released`,
    listApplied: `SELECT script_name, checksum FROM sync_schema_version`,
    isApplied: `SELECT 1 AS applied FROM sync_schema_version WHERE script_name = $1`,
    recordApplied: `INSERT INTO sync_schema_version (script_name, checksum) VALUES ($1, $2) ON CONFLICT (script_name) DO NOTHING`,
    updateChecksum: `UPDATE sync_schema_version SET checksum = $2 WHERE script_name = $1 AND checksum = $3`,
  },
  mssql: {
    createVersionTable: `IF OBJECT_ID(N'dbo.sync_schema_version', N'U') IS NULL
CREATE TABLE dbo.sync_schema_version (
  script_name varchar(200) NOT NULL CONSTRAINT pk_sync_schema_version PRIMARY KEY,
  checksum char(64) NOT NULL,
  applied_at datetime2(3) NOT NULL CONSTRAINT df_sync_schema_version_applied_at DEFAULT SYSUTCDATETIME()
)`,
    // sp_getapplock reports a lock not granted (-1), a cancel (-2), a deadlock (-3) or an error (-999) through its
    // return code, not by raising: the code is read, and only 0 or 1 (granted) counts.
    lock: `DECLARE @result int;
EXEC @result = sp_getapplock @Resource = N'goldpdv-sync-schema', @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 0;
SELECT CASE WHEN @result >= 0 THEN 1 ELSE 0 END AS granted, @result AS result;`,
    unlock: `EXEC sp_releaseapplock @Resource = N'goldpdv-sync-schema', @LockOwner = 'Session';`,
    listApplied: `SELECT script_name, checksum FROM dbo.sync_schema_version`,
    isApplied: `SELECT 1 AS applied FROM dbo.sync_schema_version WHERE script_name = CAST(@p1 AS varchar(200))`,
    recordApplied: `IF NOT EXISTS (SELECT 1 FROM dbo.sync_schema_version WHERE script_name = CAST(@p1 AS varchar(200)))
INSERT INTO dbo.sync_schema_version (script_name, checksum) VALUES (@p1, @p2)`,
    updateChecksum: `UPDATE dbo.sync_schema_version SET checksum = CAST(@p2 AS char(64))
WHERE script_name = CAST(@p1 AS varchar(200)) AND checksum = CAST(@p3 AS char(64))`,
  },
};
