/** PostgreSQL statements of the checkpoint store (sync_checkpoint) and of sync_rejected_row. */

export const ensureCheckpoints = `
INSERT INTO sync_checkpoint (table_name)
SELECT jsonb_array_elements_text($1::jsonb)
ON CONFLICT (table_name) DO NOTHING`;

export const readCheckpoints = `
SELECT table_name, version::text AS version, mode, snapshot_version::text AS snapshot_version, snapshot_cursor,
       snapshot_last_key, delta_cursor, delta_to_version::text AS delta_to_version, rows_applied::text AS rows_applied, pending_deletes,
       last_success_at, last_error, last_error_at
FROM sync_checkpoint`;

// The WHERE clause repeats what the page was fetched from, so a checkpoint moved by anyone else in the meantime
// makes the update match nothing, and the page's transaction is rolled back instead of applying a page twice.
export const advanceDelta = `
UPDATE sync_checkpoint
SET version = $2::bigint, delta_cursor = $3::text, delta_to_version = $4::bigint, rows_applied = rows_applied + $5::bigint,
    pending_deletes = $8::text, last_success_at = now(), last_error = NULL, last_error_at = NULL, updated_at = now()
WHERE table_name = $1 AND mode = 'delta' AND version = $6::bigint AND delta_cursor IS NOT DISTINCT FROM $7::text`;

// A cursor the server no longer accepts: the window starts again from the checkpoint (re-applying is harmless).
export const clearDeltaCursor = `
UPDATE sync_checkpoint SET delta_cursor = NULL, delta_to_version = NULL, updated_at = now()
WHERE table_name = $1 AND mode = 'delta'`;

export const startSnapshot = `
UPDATE sync_checkpoint
SET mode = 'snapshot', snapshot_version = NULL, snapshot_cursor = NULL, snapshot_last_key = NULL,
    delta_cursor = NULL, delta_to_version = NULL, updated_at = now()
WHERE table_name = $1`;

export const saveSnapshotPage = `
UPDATE sync_checkpoint
SET snapshot_version = $2::bigint, snapshot_cursor = $3::text, snapshot_last_key = $4::text, rows_applied = rows_applied + $5::bigint,
    pending_deletes = $7::text, last_success_at = now(), last_error = NULL, last_error_at = NULL, updated_at = now()
WHERE table_name = $1 AND mode = 'snapshot' AND snapshot_cursor IS NOT DISTINCT FROM $6::text`;

export const finishSnapshot = `
UPDATE sync_checkpoint
SET mode = 'delta', version = $2::bigint, delta_to_version = $2::bigint, snapshot_version = NULL, snapshot_cursor = NULL,
    snapshot_last_key = NULL, delta_cursor = NULL, rows_applied = rows_applied + $3::bigint, pending_deletes = $5::text,
    last_success_at = now(), last_error = NULL, last_error_at = NULL, updated_at = now()
WHERE table_name = $1 AND mode = 'snapshot' AND snapshot_cursor IS NOT DISTINCT FROM $4::text`;

// Pending deletes retried while the table had no page: guarded like a page, by the checkpoint it was read with.
export const savePendingDeletes = `
UPDATE sync_checkpoint SET pending_deletes = $2::text, updated_at = now()
WHERE table_name = $1 AND version = $3::bigint AND pending_deletes IS NOT DISTINCT FROM $4::text`;

export const recordTableError = `
UPDATE sync_checkpoint SET last_error = left($2::text, 2000), last_error_at = now(), updated_at = now()
WHERE table_name = $1`;

// A table held by stop-table meets the same bad row on every attempt: it is recorded once per version and reason.
export const recordRejectedRows = `
INSERT INTO sync_rejected_row (table_name, row_key, column_name, reason, row_data, source_version)
SELECT r.table_name, r.row_key, r.column_name, r.reason, r.row_data, r.source_version::bigint
FROM jsonb_to_recordset($1::jsonb) AS r(table_name text, row_key text, column_name text, reason text, row_data text, source_version text)
WHERE NOT EXISTS (
  SELECT 1 FROM sync_rejected_row AS s
  WHERE s.table_name = r.table_name AND s.row_key = r.row_key AND s.reason = r.reason
    AND s.source_version IS NOT DISTINCT FROM r.source_version::bigint)`;
