/** SQL Server statements of the status report; same result columns as status-sql.postgres.ts. */

export const syncTableCount = `SELECT COUNT(*) AS n FROM INFORMATION_SCHEMA.TABLES
WHERE TABLE_SCHEMA = 'dbo' AND TABLE_NAME IN ('sync_checkpoint', 'sync_rejected_row', 'sync_outbox', 'sync_dead_letter');`;

export const checkpoints = `SELECT c.table_name, CAST(c.version AS varchar(20)) AS version, c.mode, CAST(c.rows_applied AS varchar(20)) AS rows_applied,
  c.last_success_at, c.last_error, c.last_error_at,
  (SELECT COUNT_BIG(*) FROM dbo.sync_rejected_row AS r WHERE r.table_name = c.table_name) AS rejected
FROM dbo.sync_checkpoint AS c ORDER BY c.table_name;`;

export const orphanRejected = `SELECT r.table_name, COUNT_BIG(*) AS rejected FROM dbo.sync_rejected_row AS r
WHERE NOT EXISTS (SELECT 1 FROM dbo.sync_checkpoint AS c WHERE c.table_name = r.table_name)
GROUP BY r.table_name ORDER BY r.table_name;`;

export const outbox = `SELECT
  (SELECT COUNT_BIG(*) FROM dbo.sync_outbox WHERE sent_at IS NULL) AS pending,
  (SELECT COUNT_BIG(*) FROM dbo.sync_outbox WHERE sent_at IS NULL AND lease_until > SYSUTCDATETIME()) AS in_flight,
  (SELECT DATEDIFF_BIG(second, MIN(created_at), SYSUTCDATETIME()) FROM dbo.sync_outbox WHERE sent_at IS NULL) AS oldest_age_s,
  (SELECT COUNT_BIG(*) FROM dbo.sync_dead_letter) AS dead_letters;`;

export const deadLetterReasons = `SELECT TOP (10) reason, COUNT_BIG(*) AS events, MAX(dead_at) AS last_dead_at
FROM dbo.sync_dead_letter GROUP BY reason ORDER BY COUNT_BIG(*) DESC, MAX(dead_at) DESC;`;
