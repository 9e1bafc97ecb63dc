/** SQL Server statement of the rejected-row store (dbo.sync_rejected_row). */

// A table held by stop-table meets the same bad row on every attempt: it is recorded once per version and reason.
// The key (JSON text) and the reason are compared in a binary collation: under the default one, the rows of keys
// "ABC" and "abc" (two rows of a case-sensitive key) would count as one. The PostgreSQL twin compares text exactly.
export const recordRejectedRows = `
INSERT INTO dbo.sync_rejected_row (table_name, row_key, column_name, reason, row_data, source_version)
SELECT r.table_name, r.row_key, r.column_name, r.reason, r.row_data, CAST(r.source_version AS bigint)
FROM OPENJSON(@p1) WITH (
  table_name varchar(128) '$.table_name', row_key nvarchar(400) '$.row_key', column_name varchar(128) '$.column_name',
  reason nvarchar(2000) '$.reason', row_data nvarchar(max) '$.row_data', source_version varchar(20) '$.source_version') AS r
WHERE NOT EXISTS (
  SELECT 1 FROM dbo.sync_rejected_row AS s
  WHERE s.table_name = r.table_name AND s.row_key COLLATE Latin1_General_BIN2 = r.row_key AND s.reason COLLATE Latin1_General_BIN2 = r.reason
    AND (s.source_version = CAST(r.source_version AS bigint) OR (s.source_version IS NULL AND r.source_version IS NULL)));`;
