-- GoldPDV Sync: central database setup (SQL Server).
--
-- Run by hand in sqlcmd (or SSMS in SQLCMD mode) against the central database, or let the schema runner
-- apply it through sqlserver/central/0002_change_tracking.sql. Safe to run again: every step checks first.
--   sqlcmd -S <server> -d <central database> -i sqlserver_enable_change_tracking.sql
-- To change the retention, edit the :setvar line below (in sqlcmd a :setvar in the script wins over -v);
-- central-api passes its CT_RETENTION_DAYS variable to the schema runner instead.
--
-- Assumes the catalog tables already exist (sqlserver/central/0001_sample_catalog.sql, or the customer's own
-- tables with the same names); it stops with an error naming the first one that is missing.
--
-- What it does:
--   1. Change Tracking on the database, with the retention below and automatic cleanup.
--      A PDV offline for longer than the retention gets "reset required" and re-snapshots the table.
--   2. ALLOW_SNAPSHOT_ISOLATION, so each delta read sees one consistent version of every table.
--   3. Change Tracking on each catalog table (keys only: the reader joins back to the row for its values).
--   4. The PDV registry (sync_pdv) and the event inbox (sync_inbox) used by the push ingest.
-- ALTER DATABASE cannot run inside a user transaction, so each one sits alone in its batch.

:setvar CT_RETENTION_DAYS 7
:on error exit

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

-- 3. Catalog tables.
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
GO

-- 4. PDV registry: one row per terminal. The bearer token itself is never stored, only its sha256 hex.
IF OBJECT_ID(N'dbo.sync_pdv', N'U') IS NULL
CREATE TABLE dbo.sync_pdv (
    pdv_id     varchar(32)   NOT NULL CONSTRAINT PK_sync_pdv PRIMARY KEY,
    loja_id    int           NOT NULL CONSTRAINT FK_sync_pdv_loja REFERENCES dbo.loja (loja_id),
    token_hash char(64)      NOT NULL CONSTRAINT UQ_sync_pdv_token_hash UNIQUE,
    active     bit           NOT NULL CONSTRAINT DF_sync_pdv_active DEFAULT (1),
    label      nvarchar(100) NULL,
    created_at datetime2(3)  NOT NULL CONSTRAINT DF_sync_pdv_created_at DEFAULT (SYSUTCDATETIME())
);
GO

-- Event inbox: the primary key is the permanent dedupe of pushed events. Rows are never deleted, and there
-- is no foreign key to sync_pdv so that the record outlives a retired terminal.
-- payload_hash (sha256 hex) tells a replay (same hash: return the stored result) from a conflicting reuse
-- of the key (different hash: 422).
IF OBJECT_ID(N'dbo.sync_inbox', N'U') IS NULL
CREATE TABLE dbo.sync_inbox (
    pdv_id       varchar(32)      NOT NULL,
    event_id     uniqueidentifier NOT NULL,
    event_type   varchar(64)      NOT NULL,
    stream_key   nvarchar(128)    NOT NULL,
    payload_hash char(64)         NOT NULL,
    payload      nvarchar(max)    NOT NULL,
    status       varchar(12)      NOT NULL CONSTRAINT DF_sync_inbox_status DEFAULT ('applied'),
    result       nvarchar(max)    NULL,
    received_at  datetime2(3)     NOT NULL CONSTRAINT DF_sync_inbox_received_at DEFAULT (SYSUTCDATETIME()),
    CONSTRAINT PK_sync_inbox PRIMARY KEY (pdv_id, event_id)
);
GO
