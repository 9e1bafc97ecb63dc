-- Change Tracking on the central database (SQL Server): the database, snapshot isolation, and each catalog
-- table. Same role as postgres/central/0002_change_tracking.sql. Safe to run again: every step checks first.
-- Applied by the schema runner (central-api passes CT_RETENTION_DAYS, which wins over the :setvar default
-- below), or by hand through the entry script common/sqlserver_enable_change_tracking.sql.
--
-- Assumes the catalog tables already exist (0001_sample_catalog.sql, or the customer's own tables with the
-- same names); it stops with an error naming the first one that is missing.
-- ALTER DATABASE cannot run inside a user transaction, so each one sits alone in its batch.

:setvar CT_RETENTION_DAYS 7

SET NOCOUNT ON;
IF OBJECT_ID(N'dbo.categoria', N'U') IS NULL THROW 50000, N'Catalog table dbo.categoria is missing: create the catalog before enabling Change Tracking.', 1;
IF OBJECT_ID(N'dbo.produto', N'U') IS NULL THROW 50000, N'Catalog table dbo.produto is missing: create the catalog before enabling Change Tracking.', 1;
IF OBJECT_ID(N'dbo.loja', N'U') IS NULL THROW 50000, N'Catalog table dbo.loja is missing: create the catalog before enabling Change Tracking.', 1;
IF OBJECT_ID(N'dbo.preco_loja', N'U') IS NULL THROW 50000, N'Catalog table dbo.preco_loja is missing: create the catalog before enabling Change Tracking.', 1;
IF OBJECT_ID(N'dbo.cliente', N'U') IS NULL THROW 50000, N'Catalog table dbo.cliente is missing: create the catalog before enabling Change Tracking.', 1;
IF OBJECT_ID(N'dbo.forma_pagamento', N'U') IS NULL THROW 50000, N'Catalog table dbo.forma_pagamento is missing: create the catalog before enabling Change Tracking.', 1;
IF OBJECT_ID(N'dbo.operador', N'U') IS NULL THROW 50000, N'Catalog table dbo.operador is missing: create the catalog before enabling Change Tracking.', 1;
GO

-- 1. Database level first: a table cannot be tracked before its database is.
-- On a re-run the retention only ever grows: a longer one is always safe, while a shorter one would force
-- offline PDVs to re-snapshot, so shortening is left to a deliberate ALTER DATABASE by the DBA.
-- (retention_period_units: 1 = minutes, 2 = hours, 3 = days.)
IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_databases WHERE database_id = DB_ID())
    ALTER DATABASE CURRENT SET CHANGE_TRACKING = ON (CHANGE_RETENTION = $(CT_RETENTION_DAYS) DAYS, AUTO_CLEANUP = ON);
ELSE IF EXISTS (
    SELECT 1 FROM sys.change_tracking_databases
    WHERE database_id = DB_ID()
      AND retention_period * CASE retention_period_units WHEN 1 THEN 1 WHEN 2 THEN 60 ELSE 1440 END < $(CT_RETENTION_DAYS) * 1440)
    ALTER DATABASE CURRENT SET CHANGE_TRACKING (CHANGE_RETENTION = $(CT_RETENTION_DAYS) DAYS, AUTO_CLEANUP = ON);
GO

-- 2. Checked first because turning it on waits for every open transaction in the database to finish.
IF NOT EXISTS (SELECT 1 FROM sys.databases WHERE database_id = DB_ID() AND snapshot_isolation_state = 1)
    ALTER DATABASE CURRENT SET ALLOW_SNAPSHOT_ISOLATION ON;
GO

-- 3. Catalog tables. Each ALTER TABLE waits for a schema lock, and while it waits every new reader and writer of that
--    table queues behind it. LOCK_TIMEOUT bounds that wait to 10 s per table: the script then fails, the process
--    stops, and its restart tries again (the tables already enabled are skipped). On a busy central, apply it
--    off-hours. (ALTER DATABASE above does not honour LOCK_TIMEOUT; it waits for open transactions regardless.)
SET LOCK_TIMEOUT 10000;
IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_tables WHERE object_id = OBJECT_ID(N'dbo.categoria'))
    ALTER TABLE dbo.categoria ENABLE CHANGE_TRACKING WITH (TRACK_COLUMNS_UPDATED = OFF);
IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_tables WHERE object_id = OBJECT_ID(N'dbo.produto'))
    ALTER TABLE dbo.produto ENABLE CHANGE_TRACKING WITH (TRACK_COLUMNS_UPDATED = OFF);
IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_tables WHERE object_id = OBJECT_ID(N'dbo.loja'))
    ALTER TABLE dbo.loja ENABLE CHANGE_TRACKING WITH (TRACK_COLUMNS_UPDATED = OFF);
IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_tables WHERE object_id = OBJECT_ID(N'dbo.preco_loja'))
    ALTER TABLE dbo.preco_loja ENABLE CHANGE_TRACKING WITH (TRACK_COLUMNS_UPDATED = OFF);
IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_tables WHERE object_id = OBJECT_ID(N'dbo.cliente'))
    ALTER TABLE dbo.cliente ENABLE CHANGE_TRACKING WITH (TRACK_COLUMNS_UPDATED = OFF);
IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_tables WHERE object_id = OBJECT_ID(N'dbo.forma_pagamento'))
    ALTER TABLE dbo.forma_pagamento ENABLE CHANGE_TRACKING WITH (TRACK_COLUMNS_UPDATED = OFF);
IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_tables WHERE object_id = OBJECT_ID(N'dbo.operador'))
    ALTER TABLE dbo.operador ENABLE CHANGE_TRACKING WITH (TRACK_COLUMNS_UPDATED = OFF);
SET LOCK_TIMEOUT -1;
GO
