import type { DialectName } from './types.js';

/** The statements the schema runner itself emits, per dialect. The T-SQL ones are checked by the grammar test. */
export const SCHEMA_SQL: Record<DialectName, { createVersionTable: string; lock: string | null; listApplied: string; recordApplied: string }> = {
  postgres: {
    createVersionTable: `CREATE TABLE IF NOT EXISTS sync_schema_version (
  script_name varchar(200) PRIMARY KEY,
  checksum char(64) NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`,
    // Both daemons of a PDV start together and run the runner at once; the lock makes the second one wait and
    // then find everything applied. It is released at commit.
    lock: `SELECT pg_advisory_xact_lock(hashtext('goldpdv-sync-schema'))`,
    listApplied: `SELECT script_name, checksum FROM sync_schema_version`,
    recordApplied: `INSERT INTO sync_schema_version (script_name, checksum) VALUES ($1, $2) ON CONFLICT (script_name) DO NOTHING`,
  },
  mssql: {
    createVersionTable: `IF OBJECT_ID(N'dbo.sync_schema_version', N'U') IS NULL
CREATE TABLE dbo.sync_schema_version (
  script_name varchar(200) NOT NULL CONSTRAINT pk_sync_schema_version PRIMARY KEY,
  checksum char(64) NOT NULL,
  applied_at datetime2(3) NOT NULL CONSTRAINT df_sync_schema_version_applied_at DEFAULT SYSUTCDATETIME()
)`,
    lock: `EXEC sp_getapplock @Resource = N'goldpdv-sync-schema', @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 120000`,
    listApplied: `SELECT script_name, checksum FROM dbo.sync_schema_version`,
    recordApplied: `IF NOT EXISTS (SELECT 1 FROM dbo.sync_schema_version WHERE script_name = @p1)
INSERT INTO dbo.sync_schema_version (script_name, checksum) VALUES (@p1, @p2)`,
  },
};
