/**
 * SQL Server statements of the status report; same result columns as status-sql.postgres.ts. They read the
 * status views of the PDV schema (common/mssql/pdv/0008_status_views.sql), never the daemons' own tables.
 */

export const statusViewCount = `SELECT COUNT(*) AS n FROM INFORMATION_SCHEMA.VIEWS
WHERE TABLE_SCHEMA = 'dbo'
  AND TABLE_NAME IN ('sync_status_table', 'sync_status_orphan_rejected', 'sync_status_outbox', 'sync_status_dead_letter_reason');`;

export const checkpoints = `SELECT table_name, CAST(version AS varchar(20)) AS version, mode, CAST(rows_applied AS varchar(20)) AS rows_applied,
  last_success_at, last_error, last_error_at, rejected_rows AS rejected
FROM dbo.sync_status_table ORDER BY table_name;`;

export const orphanRejected = `SELECT table_name, rejected_rows AS rejected FROM dbo.sync_status_orphan_rejected ORDER BY table_name;`;

export const outbox = `SELECT pending, in_flight, oldest_age_s, dead_letters FROM dbo.sync_status_outbox;`;

export const deadLetterReasons = `SELECT TOP (10) reason, events, last_dead_at FROM dbo.sync_status_dead_letter_reason
ORDER BY events DESC, last_dead_at DESC;`;

/** The event capture views of pdv/0011_event_capture.sql; a PDV schema from before it has neither. */
export const eventViewCount = `SELECT COUNT(*) AS n FROM INFORMATION_SCHEMA.VIEWS
WHERE TABLE_SCHEMA = 'dbo' AND TABLE_NAME IN ('sync_status_capture', 'sync_status_reconciliation');`;

export const capture = `SELECT pending, oldest_age_s FROM dbo.sync_status_capture;`;

export const reconciliation = `SELECT CONVERT(varchar(10), day, 23) AS day, session_key, local_sales, CONVERT(varchar(60), local_total) AS local_total,
  central_sales, CONVERT(varchar(60), central_total) AS central_total, central_error, checked_at
FROM dbo.sync_status_reconciliation ORDER BY day, session_key;`;

/** The pulled tables' ignored central columns, from pdv/0012_pull_columns.sql; a PDV schema from before it has no such view. */
export const tableColumnsViewCount = `SELECT COUNT(*) AS n FROM INFORMATION_SCHEMA.VIEWS
WHERE TABLE_SCHEMA = 'dbo' AND TABLE_NAME = 'sync_status_table_columns';`;

export const tableColumns = `SELECT table_name, ignored_columns FROM dbo.sync_status_table_columns WHERE ignored_columns IS NOT NULL;`;
