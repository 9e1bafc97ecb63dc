import type { DoctorStatements } from './doctor-sql.js';

/**
 * SQL Server probes of doctor. Names compared here are catalog names (sysname, nvarchar), so the nvarchar
 * parameters and JSON values meet nvarchar columns: no conversion of a column.
 */
export const DOCTOR_SQL_MSSQL: DoctorStatements = {
  // HAS_PERMS_BY_NAME: 1 when the current login's user has the permission (granted directly, through a role, or
  // implied by a higher one such as CONTROL or db_owner), 0 when not, NULL when the securable or permission is
  // not valid. OBJECT_ID tells a missing object from a missing permission.
  permissions: `SELECT j.object_name AS name, j.permission,
       CASE WHEN OBJECT_ID(j.object_name) IS NULL THEN 0 ELSE 1 END AS found,
       HAS_PERMS_BY_NAME(j.object_name, N'OBJECT', j.permission) AS granted
FROM OPENJSON(@p1) WITH (object_name nvarchar(300) '$.name', permission nvarchar(60) '$.permission') AS j;`,
  // The schema scripts create tables, views, functions, procedures, sequences and triggers in dbo: db_owner, or
  // CREATE TABLE on the database together with ALTER on the dbo schema (which triggers and ALTER TABLE need).
  schemaChanges: `SELECT CASE WHEN IS_MEMBER(N'db_owner') = 1
            OR (HAS_PERMS_BY_NAME(NULL, N'DATABASE', N'CREATE TABLE') = 1 AND HAS_PERMS_BY_NAME(N'dbo', N'SCHEMA', N'ALTER') = 1)
       THEN 1 ELSE 0 END AS create_objects;`,
  // The primary key's text columns and their collations. A _CI_ or _AI_ collation compares 'ABC' equal to 'abc'
  // (or 'é' to 'e'), so two keys that differ only so become one row.
  keyCollations: `SELECT OBJECT_NAME(c.object_id) AS table_name, c.name AS column_name, c.collation_name,
       CASE WHEN c.collation_name LIKE N'%[_]CI[_]%' OR c.collation_name LIKE N'%[_]CI'
              OR c.collation_name LIKE N'%[_]AI[_]%' OR c.collation_name LIKE N'%[_]AI' THEN 1 ELSE 0 END AS insensitive
FROM OPENJSON(@p1) WITH (table_name nvarchar(300) '$') AS j
JOIN sys.indexes AS i ON i.object_id = OBJECT_ID(j.table_name) AND i.is_primary_key = 1
JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.key_ordinal > 0
JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
WHERE c.collation_name IS NOT NULL
ORDER BY table_name, ic.key_ordinal;`,
  // parent_class 1: triggers on a table or view (not database DDL triggers).
  triggers: `SELECT OBJECT_SCHEMA_NAME(tr.parent_id) AS schema_name, OBJECT_NAME(tr.parent_id) AS table_name, tr.name AS trigger_name,
       CAST(tr.is_disabled AS int) AS disabled
FROM sys.triggers AS tr
WHERE tr.parent_class = 1;`,
  clock: `SELECT SYSUTCDATETIME() AS now_utc;`,
};
