/** SQL Server statements of the checkpoint store (dbo.sync_checkpoint). */

export const ensureCheckpoints = `
INSERT INTO dbo.sync_checkpoint (table_name, mode)
SELECT CAST(j.[value] AS varchar(128)), 'snapshot' FROM OPENJSON(@p1) AS j
WHERE NOT EXISTS (SELECT 1 FROM dbo.sync_checkpoint AS c WITH (UPDLOCK, HOLDLOCK) WHERE c.table_name = CAST(j.[value] AS varchar(128)));`;

export const readCheckpoints = `
SELECT table_name, CAST(version AS varchar(20)) AS version, mode, sync_token, incarnation, CAST(snapshot_version AS varchar(20)) AS snapshot_version,
       snapshot_cursor, snapshot_last_key, delta_cursor, CAST(delta_to_version AS varchar(20)) AS delta_to_version,
       CAST(rows_applied AS varchar(20)) AS rows_applied, pending_deletes, last_success_at, last_error, last_error_at, applied_columns, ignored_columns
FROM dbo.sync_checkpoint;`;

// The WHERE clause repeats what the page was fetched from, so a checkpoint moved by anyone else in the meantime
// makes the update match nothing, and the page's transaction is rolled back instead of applying a page twice.
// OUTPUT returns the row moved, which is what the store counts (not the rows-affected count, which SET NOCOUNT ON
// takes away). OUTPUT without INTO is refused (error 334) on a table with an enabled trigger; sync_checkpoint has
// none, and must keep it so.
//
// The cursors are compared exactly: under the database's default collation (case-insensitive, and = ignores
// trailing spaces under any collation) two base64url cursors that differ only in case would match. So the
// comparison is binary (Latin1_General_BIN2, which wins over the column's collation as an explicit one) and the
// lengths must agree too. The PostgreSQL twin needs neither: text equality there is exact under deterministic
// collations, which the database default always is.
export const advanceDelta = `
UPDATE dbo.sync_checkpoint
SET version = CAST(@p2 AS bigint), delta_cursor = @p3, delta_to_version = CAST(@p4 AS bigint),
    rows_applied = rows_applied + CAST(@p5 AS bigint), pending_deletes = @p8, sync_token = CAST(@p9 AS varchar(1000)), incarnation = CAST(@p10 AS varchar(64)),
    applied_columns = CAST(@p11 AS varchar(64)), ignored_columns = @p12, last_success_at = SYSUTCDATETIME(), last_error = NULL, last_error_at = NULL, updated_at = SYSUTCDATETIME()
OUTPUT inserted.table_name
WHERE table_name = CAST(@p1 AS varchar(128)) AND mode = 'delta' AND version = CAST(@p6 AS bigint)
  AND ((delta_cursor COLLATE Latin1_General_BIN2 = @p7 AND DATALENGTH(delta_cursor) = DATALENGTH(@p7)) OR (delta_cursor IS NULL AND @p7 IS NULL));`;

// A cursor the server no longer accepts: the window starts again from the checkpoint (re-applying is harmless).
export const clearDeltaCursor = `
UPDATE dbo.sync_checkpoint SET delta_cursor = NULL, delta_to_version = NULL, updated_at = SYSUTCDATETIME()
WHERE table_name = CAST(@p1 AS varchar(128)) AND mode = 'delta';`;

export const startSnapshot = `
UPDATE dbo.sync_checkpoint
SET mode = 'snapshot', snapshot_version = NULL, snapshot_cursor = NULL, snapshot_last_key = NULL,
    delta_cursor = NULL, delta_to_version = NULL, sync_token = NULL, incarnation = NULL, updated_at = SYSUTCDATETIME()
WHERE table_name = CAST(@p1 AS varchar(128));`;

export const saveSnapshotPage = `
UPDATE dbo.sync_checkpoint
SET snapshot_version = CAST(@p2 AS bigint), snapshot_cursor = @p3, snapshot_last_key = @p4,
    rows_applied = rows_applied + CAST(@p5 AS bigint), pending_deletes = @p7, incarnation = CAST(@p8 AS varchar(64)),
    applied_columns = CAST(@p9 AS varchar(64)), ignored_columns = @p10, last_success_at = SYSUTCDATETIME(), last_error = NULL, last_error_at = NULL, updated_at = SYSUTCDATETIME()
OUTPUT inserted.table_name
WHERE table_name = CAST(@p1 AS varchar(128)) AND mode = 'snapshot'
  AND ((snapshot_cursor COLLATE Latin1_General_BIN2 = @p6 AND DATALENGTH(snapshot_cursor) = DATALENGTH(@p6)) OR (snapshot_cursor IS NULL AND @p6 IS NULL));`;

export const finishSnapshot = `
UPDATE dbo.sync_checkpoint
SET mode = 'delta', version = CAST(@p2 AS bigint), delta_to_version = CAST(@p2 AS bigint), snapshot_version = NULL,
    snapshot_cursor = NULL, snapshot_last_key = NULL, delta_cursor = NULL, rows_applied = rows_applied + CAST(@p3 AS bigint),
    pending_deletes = @p5, sync_token = CAST(@p6 AS varchar(1000)), incarnation = CAST(@p7 AS varchar(64)),
    applied_columns = CAST(@p8 AS varchar(64)), ignored_columns = @p9, last_success_at = SYSUTCDATETIME(), last_error = NULL, last_error_at = NULL, updated_at = SYSUTCDATETIME()
OUTPUT inserted.table_name
WHERE table_name = CAST(@p1 AS varchar(128)) AND mode = 'snapshot'
  AND ((snapshot_cursor COLLATE Latin1_General_BIN2 = @p4 AND DATALENGTH(snapshot_cursor) = DATALENGTH(@p4)) OR (snapshot_cursor IS NULL AND @p4 IS NULL));`;

export const recordTableError = `
UPDATE dbo.sync_checkpoint SET last_error = LEFT(@p2, 2000), last_error_at = SYSUTCDATETIME(), updated_at = SYSUTCDATETIME()
WHERE table_name = CAST(@p1 AS varchar(128));`;
