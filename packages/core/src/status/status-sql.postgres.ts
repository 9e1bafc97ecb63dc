/** PostgreSQL statements of the status report; same result columns as status-sql.mssql.ts. */

export const syncTableCount = `SELECT COUNT(*) AS n FROM information_schema.tables
WHERE table_schema = current_schema() AND table_name IN ('sync_checkpoint', 'sync_rejected_row', 'sync_outbox', 'sync_dead_letter')`;

export const checkpoints = `SELECT c.table_name, c.version::text AS version, c.mode, c.rows_applied::text AS rows_applied,
  c.last_success_at, c.last_error, c.last_error_at,
  (SELECT COUNT(*) FROM sync_rejected_row r WHERE r.table_name = c.table_name) AS rejected
FROM sync_checkpoint c ORDER BY c.table_name`;

/** Rejected rows of tables that have no checkpoint (a table since removed from the mapping). */
export const orphanRejected = `SELECT r.table_name, COUNT(*) AS rejected FROM sync_rejected_row r
WHERE NOT EXISTS (SELECT 1 FROM sync_checkpoint c WHERE c.table_name = r.table_name)
GROUP BY r.table_name ORDER BY r.table_name`;

export const outbox = `SELECT
  (SELECT COUNT(*) FROM sync_outbox WHERE sent_at IS NULL) AS pending,
  (SELECT COUNT(*) FROM sync_outbox WHERE sent_at IS NULL AND lease_until > now()) AS in_flight,
  (SELECT EXTRACT(EPOCH FROM now() - MIN(created_at)) FROM sync_outbox WHERE sent_at IS NULL) AS oldest_age_s,
  (SELECT COUNT(*) FROM sync_dead_letter) AS dead_letters`;

export const deadLetterReasons = `SELECT reason, COUNT(*) AS events, MAX(dead_at) AS last_dead_at
FROM sync_dead_letter GROUP BY reason ORDER BY COUNT(*) DESC, MAX(dead_at) DESC LIMIT 10`;
