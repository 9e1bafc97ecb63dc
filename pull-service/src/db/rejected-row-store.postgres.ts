/** PostgreSQL statement of the rejected-row store (sync_rejected_row). */

// A table held by stop-table meets the same bad row on every attempt: it is recorded once per version and reason.
// Key and reason compare exactly (text equality is byte-wise under the database's deterministic collation); the
// SQL Server twin needs a binary collation for the same.
export const recordRejectedRows = `
INSERT INTO sync_rejected_row (table_name, row_key, column_name, reason, row_data, source_version)
SELECT r.table_name, r.row_key, r.column_name, r.reason, r.row_data, r.source_version::bigint
FROM jsonb_to_recordset($1::jsonb) AS r(table_name text, row_key text, column_name text, reason text, row_data text, source_version text)
WHERE NOT EXISTS (
  SELECT 1 FROM sync_rejected_row AS s
  WHERE s.table_name = r.table_name AND s.row_key = r.row_key AND s.reason = r.reason
    AND s.source_version IS NOT DISTINCT FROM r.source_version::bigint)`;
