/** PostgreSQL statements of the checkpoint store (sync_checkpoint). */

export const ensureCheckpoints = `
INSERT INTO sync_checkpoint (table_name, mode)
SELECT jsonb_array_elements_text($1::jsonb), 'snapshot'
ON CONFLICT (table_name) DO NOTHING`;

export const readCheckpoints = `
SELECT table_name, version::text AS version, mode, sync_token, incarnation, snapshot_version::text AS snapshot_version, snapshot_cursor,
       snapshot_last_key, delta_cursor, delta_to_version::text AS delta_to_version, rows_applied::text AS rows_applied, pending_deletes,
       last_success_at, last_error, last_error_at, applied_columns, ignored_columns
FROM sync_checkpoint`;

// The WHERE clause repeats what the page was fetched from, so a checkpoint moved by anyone else in the meantime
// makes the update match nothing, and the page's transaction is rolled back instead of applying a page twice.
// RETURNING hands back the row moved, counted the same way as OUTPUT on SQL Server (see the twin). The cursors
// compare exactly as they are: text equality is byte-wise under a deterministic collation (every database
// default is one), where SQL Server's default collations need a binary collation and a length check (the twin).
export const advanceDelta = `
UPDATE sync_checkpoint
SET version = $2::bigint, delta_cursor = $3::text, delta_to_version = $4::bigint, rows_applied = rows_applied + $5::bigint,
    pending_deletes = $8::text, sync_token = $9::varchar, incarnation = $10::varchar,
    applied_columns = $11::varchar, ignored_columns = $12::text, last_success_at = now(), last_error = NULL, last_error_at = NULL, updated_at = now()
WHERE table_name = $1 AND mode = 'delta' AND version = $6::bigint AND delta_cursor IS NOT DISTINCT FROM $7::text
RETURNING table_name`;

// A cursor the server no longer accepts: the window starts again from the checkpoint (re-applying is harmless).
export const clearDeltaCursor = `
UPDATE sync_checkpoint SET delta_cursor = NULL, delta_to_version = NULL, updated_at = now()
WHERE table_name = $1 AND mode = 'delta'`;

export const startSnapshot = `
UPDATE sync_checkpoint
SET mode = 'snapshot', snapshot_version = NULL, snapshot_cursor = NULL, snapshot_last_key = NULL,
    delta_cursor = NULL, delta_to_version = NULL, sync_token = NULL, incarnation = NULL, updated_at = now()
WHERE table_name = $1`;

export const saveSnapshotPage = `
UPDATE sync_checkpoint
SET snapshot_version = $2::bigint, snapshot_cursor = $3::text, snapshot_last_key = $4::text, rows_applied = rows_applied + $5::bigint,
    pending_deletes = $7::text, incarnation = $8::varchar, applied_columns = $9::varchar, ignored_columns = $10::text, last_success_at = now(), last_error = NULL, last_error_at = NULL, updated_at = now()
WHERE table_name = $1 AND mode = 'snapshot' AND snapshot_cursor IS NOT DISTINCT FROM $6::text
RETURNING table_name`;

export const finishSnapshot = `
UPDATE sync_checkpoint
SET mode = 'delta', version = $2::bigint, delta_to_version = $2::bigint, snapshot_version = NULL, snapshot_cursor = NULL,
    snapshot_last_key = NULL, delta_cursor = NULL, rows_applied = rows_applied + $3::bigint, pending_deletes = $5::text,
    sync_token = $6::varchar, incarnation = $7::varchar, applied_columns = $8::varchar, ignored_columns = $9::text, last_success_at = now(), last_error = NULL, last_error_at = NULL, updated_at = now()
WHERE table_name = $1 AND mode = 'snapshot' AND snapshot_cursor IS NOT DISTINCT FROM $4::text
RETURNING table_name`;

export const recordTableError = `
UPDATE sync_checkpoint SET last_error = left($2::text, 2000), last_error_at = now(), updated_at = now()
WHERE table_name = $1`;
