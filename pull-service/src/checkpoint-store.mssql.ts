/** SQL Server statements of the checkpoint store (dbo.sync_checkpoint) and of dbo.sync_rejected_row. */

export const ensureCheckpoints = `
INSERT INTO dbo.sync_checkpoint (table_name)
SELECT j.[value] FROM OPENJSON(@p1) AS j
WHERE NOT EXISTS (SELECT 1 FROM dbo.sync_checkpoint AS c WITH (UPDLOCK, HOLDLOCK) WHERE c.table_name = j.[value]);`;

export const readCheckpoints = `
SELECT table_name, CAST(version AS varchar(20)) AS version, mode, CAST(snapshot_version AS varchar(20)) AS snapshot_version,
       snapshot_cursor, snapshot_last_key, delta_cursor, CAST(delta_to_version AS varchar(20)) AS delta_to_version,
       CAST(rows_applied AS varchar(20)) AS rows_applied, pending_deletes, last_success_at, last_error, last_error_at
FROM dbo.sync_checkpoint;`;

// The WHERE clause repeats what the page was fetched from, so a checkpoint moved by anyone else in the meantime
// makes the update match nothing, and the page's transaction is rolled back instead of applying a page twice.
export const advanceDelta = `
UPDATE dbo.sync_checkpoint
SET version = CAST(@p2 AS bigint), delta_cursor = @p3, delta_to_version = CAST(@p4 AS bigint),
    rows_applied = rows_applied + CAST(@p5 AS bigint), pending_deletes = @p8,
    last_success_at = SYSUTCDATETIME(), last_error = NULL, last_error_at = NULL, updated_at = SYSUTCDATETIME()
WHERE table_name = @p1 AND mode = 'delta' AND version = CAST(@p6 AS bigint)
  AND (delta_cursor = @p7 OR (delta_cursor IS NULL AND @p7 IS NULL));`;

// A cursor the server no longer accepts: the window starts again from the checkpoint (re-applying is harmless).
export const clearDeltaCursor = `
UPDATE dbo.sync_checkpoint SET delta_cursor = NULL, delta_to_version = NULL, updated_at = SYSUTCDATETIME()
WHERE table_name = @p1 AND mode = 'delta';`;

export const startSnapshot = `
UPDATE dbo.sync_checkpoint
SET mode = 'snapshot', snapshot_version = NULL, snapshot_cursor = NULL, snapshot_last_key = NULL,
    delta_cursor = NULL, delta_to_version = NULL, updated_at = SYSUTCDATETIME()
WHERE table_name = @p1;`;

export const saveSnapshotPage = `
UPDATE dbo.sync_checkpoint
SET snapshot_version = CAST(@p2 AS bigint), snapshot_cursor = @p3, snapshot_last_key = @p4,
    rows_applied = rows_applied + CAST(@p5 AS bigint), pending_deletes = @p7,
    last_success_at = SYSUTCDATETIME(), last_error = NULL, last_error_at = NULL, updated_at = SYSUTCDATETIME()
WHERE table_name = @p1 AND mode = 'snapshot'
  AND (snapshot_cursor = @p6 OR (snapshot_cursor IS NULL AND @p6 IS NULL));`;

export const finishSnapshot = `
UPDATE dbo.sync_checkpoint
SET mode = 'delta', version = CAST(@p2 AS bigint), delta_to_version = CAST(@p2 AS bigint), snapshot_version = NULL,
    snapshot_cursor = NULL, snapshot_last_key = NULL, delta_cursor = NULL, rows_applied = rows_applied + CAST(@p3 AS bigint),
    pending_deletes = @p5,
    last_success_at = SYSUTCDATETIME(), last_error = NULL, last_error_at = NULL, updated_at = SYSUTCDATETIME()
WHERE table_name = @p1 AND mode = 'snapshot'
  AND (snapshot_cursor = @p4 OR (snapshot_cursor IS NULL AND @p4 IS NULL));`;

// Pending deletes retried while the table had no page: guarded like a page, by the checkpoint it was read with.
export const savePendingDeletes = `
UPDATE dbo.sync_checkpoint SET pending_deletes = @p2, updated_at = SYSUTCDATETIME()
WHERE table_name = @p1 AND version = CAST(@p3 AS bigint)
  AND (pending_deletes = @p4 OR (pending_deletes IS NULL AND @p4 IS NULL));`;

export const recordTableError = `
UPDATE dbo.sync_checkpoint SET last_error = LEFT(@p2, 2000), last_error_at = SYSUTCDATETIME(), updated_at = SYSUTCDATETIME()
WHERE table_name = @p1;`;

// A table held by stop-table meets the same bad row on every attempt: it is recorded once per version and reason.
export const recordRejectedRows = `
INSERT INTO dbo.sync_rejected_row (table_name, row_key, column_name, reason, row_data, source_version)
SELECT r.table_name, r.row_key, r.column_name, r.reason, r.row_data, CAST(r.source_version AS bigint)
FROM OPENJSON(@p1) WITH (
  table_name varchar(128) '$.table_name', row_key nvarchar(400) '$.row_key', column_name varchar(128) '$.column_name',
  reason nvarchar(2000) '$.reason', row_data nvarchar(max) '$.row_data', source_version varchar(20) '$.source_version') AS r
WHERE NOT EXISTS (
  SELECT 1 FROM dbo.sync_rejected_row AS s
  WHERE s.table_name = r.table_name AND s.row_key = r.row_key AND s.reason = r.reason
    AND (s.source_version = CAST(r.source_version AS bigint) OR (s.source_version IS NULL AND r.source_version IS NULL)));`;
