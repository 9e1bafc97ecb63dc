-- Read-only views of the PDV's sync state, for the `status` command and anything else that reports it. They are
-- the schema's own description of its state: readers use these views and never the tables behind them, which
-- belong to the daemon that writes them. Same columns as postgres/pdv/0008_status_views.sql. Safe to run again:
-- each view is created once as a stub and then ALTERed, which keeps the SELECT grants a monitoring login holds on it,
-- where DROP VIEW would delete them (ALTER VIEW does not change permissions; it must be alone in its batch).

-- One row per pulled table: its checkpoint and how many of its rows the local database refused.
IF OBJECT_ID(N'dbo.sync_status_table', N'V') IS NULL EXEC(N'CREATE VIEW dbo.sync_status_table AS SELECT 1 AS placeholder');
GO
ALTER VIEW dbo.sync_status_table AS
SELECT c.table_name, c.version, c.mode, c.rows_applied, c.last_success_at, c.last_error, c.last_error_at,
       (SELECT COUNT_BIG(*) FROM dbo.sync_rejected_row AS r WHERE r.table_name = c.table_name) AS rejected_rows
FROM dbo.sync_checkpoint AS c;
GO

-- Rejected rows of tables that have no checkpoint (a table since removed from the mapping).
IF OBJECT_ID(N'dbo.sync_status_orphan_rejected', N'V') IS NULL EXEC(N'CREATE VIEW dbo.sync_status_orphan_rejected AS SELECT 1 AS placeholder');
GO
ALTER VIEW dbo.sync_status_orphan_rejected AS
SELECT r.table_name, COUNT_BIG(*) AS rejected_rows
FROM dbo.sync_rejected_row AS r
WHERE NOT EXISTS (SELECT 1 FROM dbo.sync_checkpoint AS c WHERE c.table_name = r.table_name)
GROUP BY r.table_name;
GO

-- One row: the outbox backlog.
IF OBJECT_ID(N'dbo.sync_status_outbox', N'V') IS NULL EXEC(N'CREATE VIEW dbo.sync_status_outbox AS SELECT 1 AS placeholder');
GO
ALTER VIEW dbo.sync_status_outbox AS
SELECT
  (SELECT COUNT_BIG(*) FROM dbo.sync_outbox WHERE sent_at IS NULL) AS pending,
  (SELECT COUNT_BIG(*) FROM dbo.sync_outbox WHERE sent_at IS NULL AND lease_until > SYSUTCDATETIME()) AS in_flight,
  (SELECT DATEDIFF_BIG(second, MIN(created_at), SYSUTCDATETIME()) FROM dbo.sync_outbox WHERE sent_at IS NULL) AS oldest_age_s,
  (SELECT COUNT_BIG(*) FROM dbo.sync_dead_letter) AS dead_letters;
GO

-- Dead letters by reason.
IF OBJECT_ID(N'dbo.sync_status_dead_letter_reason', N'V') IS NULL EXEC(N'CREATE VIEW dbo.sync_status_dead_letter_reason AS SELECT 1 AS placeholder');
GO
ALTER VIEW dbo.sync_status_dead_letter_reason AS
SELECT reason, COUNT_BIG(*) AS events, MAX(dead_at) AS last_dead_at
FROM dbo.sync_dead_letter
GROUP BY reason;
GO
