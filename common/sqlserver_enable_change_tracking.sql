-- GoldPDV Sync: central database setup (SQL Server), for a DBA who applies it by hand.
--
-- Run it in sqlcmd (or SSMS in SQLCMD mode) from this folder (common/), against the central database:
--   sqlcmd -S <server> -d <central database> -b -I -i sqlserver_enable_change_tracking.sql
-- It includes the versioned scripts that the schema runner applies at start, so both ways give the same
-- objects; the canonical text of each step is in the file it names. Safe to run again: every step checks first.
-- To change the retention of a hand run, edit the :setvar line of mssql/central/0002_enable_change_tracking.sql
-- (in sqlcmd a :setvar in a script wins over -v); central-api passes its CT_RETENTION_DAYS to the schema runner.
--
-- Assumes the catalog tables already exist (mssql/central/0001_sample_catalog.sql, or the customer's own
-- tables with the same names); it stops with an error naming the first one that is missing.
--
-- What it does:
--   1. Change Tracking on the database, with the retention below and automatic cleanup.
--      A PDV offline for longer than the retention gets "reset required" and re-snapshots the table.
--   2. ALLOW_SNAPSHOT_ISOLATION, so each delta read sees one consistent version of every table.
--   3. Change Tracking on each catalog table (keys only: the reader joins back to the row for its values).
--   4. The PDV registry (sync_pdv) and the event inbox (sync_inbox) used by the push ingest, and the inbox's
--      arrival order.
-- The sample event handlers (mssql/central/0004_event_handlers.sql) are not included: they fit the sample
-- schema only.

:on error exit

:r mssql/central/0002_enable_change_tracking.sql
GO
:r mssql/central/0003_sync_central.sql
GO
:r mssql/central/0006_inbox_arrival_order.sql
GO
