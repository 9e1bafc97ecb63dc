-- Read-only views of the PDV's sync state, for the `status` command and anything else that reports it. They are
-- the schema's own description of its state: readers use these views and never the tables behind them, which
-- belong to the daemon that writes them. Same columns as mssql/pdv/0008_status_views.sql. Safe to run again.

-- One row per pulled table: its checkpoint and how many of its rows the local database refused.
CREATE OR REPLACE VIEW sync_status_table AS
SELECT c.table_name, c.version, c.mode, c.rows_applied, c.last_success_at, c.last_error, c.last_error_at,
       (SELECT COUNT(*) FROM sync_rejected_row AS r WHERE r.table_name = c.table_name) AS rejected_rows
FROM sync_checkpoint AS c;

-- Rejected rows of tables that have no checkpoint (a table since removed from the mapping).
CREATE OR REPLACE VIEW sync_status_orphan_rejected AS
SELECT r.table_name, COUNT(*) AS rejected_rows
FROM sync_rejected_row AS r
WHERE NOT EXISTS (SELECT 1 FROM sync_checkpoint AS c WHERE c.table_name = r.table_name)
GROUP BY r.table_name;

-- One row: the outbox backlog.
CREATE OR REPLACE VIEW sync_status_outbox AS
SELECT
  (SELECT COUNT(*) FROM sync_outbox WHERE sent_at IS NULL) AS pending,
  (SELECT COUNT(*) FROM sync_outbox WHERE sent_at IS NULL AND lease_until > now()) AS in_flight,
  (SELECT EXTRACT(EPOCH FROM now() - MIN(created_at)) FROM sync_outbox WHERE sent_at IS NULL) AS oldest_age_s,
  (SELECT COUNT(*) FROM sync_dead_letter) AS dead_letters;

-- Dead letters by reason.
CREATE OR REPLACE VIEW sync_status_dead_letter_reason AS
SELECT reason, COUNT(*) AS events, MAX(dead_at) AS last_dead_at
FROM sync_dead_letter
GROUP BY reason;
