-- Event capture (SQL Server): what the generated capture triggers write, and what push-service keeps to turn
-- captures into outbox events. Same objects as postgres/pdv/0011_event_capture.sql. Safe to run again.
--
-- The triggers themselves are generated from the events declaration (PUSH_EVENTS_FILE) and applied by
-- push-service as pdv/0012_outbox_events_<hash>.sql, or printed for a DBA (node dist/cli.js outbox-triggers print).
-- A trigger runs inside the POS program's own transaction, where XACT_ABORT is ON: any error there rolls the
-- sale back. So a trigger only copies the key and the new status of the row into dbo.sync_capture, a table with
-- no unique key but its sequence-given id, no foreign key, no check and no trigger of its own, and everything
-- that can fail (the payload, the outbox row, the event id) happens later, in push-service's own transactions.
-- See docs/outbox.md for the design and its trade-offs. Do not add constraints or triggers to these tables.

-- This installation of the PDV database. Part of every event id, so that int keys that start again after a
-- PDV is reinstalled (a new database) never give an id that an earlier installation sent. A restored backup
-- keeps the id of the database it was taken from: give it a new one (node dist/cli.js installation renew).
IF OBJECT_ID(N'dbo.sync_installation', N'U') IS NULL
CREATE TABLE dbo.sync_installation (
    installation_id uniqueidentifier NOT NULL CONSTRAINT PK_sync_installation PRIMARY KEY,
    created_at      datetime2(3)     NOT NULL CONSTRAINT DF_sync_installation_created_at DEFAULT (SYSUTCDATETIME())
);
GO

IF NOT EXISTS (SELECT 1 FROM dbo.sync_installation)
INSERT INTO dbo.sync_installation (installation_id) VALUES (NEWID());
GO

-- capture_id comes from a sequence, not IDENTITY: an IDENTITY insert in a trigger would change @@IDENTITY, which
-- POS code reads after its own INSERT (see 0010_outbox_id_sequence.sql). The triggers SET ROWCOUNT 0 for the
-- sequence default (error 11739 otherwise).
IF OBJECT_ID(N'dbo.sync_capture_id_seq', N'SO') IS NULL
CREATE SEQUENCE dbo.sync_capture_id_seq AS bigint START WITH 1 INCREMENT BY 1 NO CYCLE;
GO

-- A row of a declared source table that a trigger saw enter (or leave) a state that fires an event. key_text is
-- the key columns as text ('42', a lowercase uuid, or the parts of a composite key joined by ','); new_status is
-- the status column as text without trailing spaces (NULL for a table whose events fire on insert only).
-- Nullable wherever a value comes from the POS row, so that no value of the POS program's can make the insert fail.
IF OBJECT_ID(N'dbo.sync_capture', N'U') IS NULL
CREATE TABLE dbo.sync_capture (
    capture_id  bigint        NOT NULL CONSTRAINT PK_sync_capture PRIMARY KEY,
    source_name nvarchar(128) NOT NULL,
    key_text    varchar(200)  NULL,
    op          char(1)       NOT NULL,
    new_status  nvarchar(100) NULL,
    captured_at datetime2(3)  NOT NULL CONSTRAINT DF_sync_capture_captured_at DEFAULT (SYSUTCDATETIME())
);
GO

-- NEXT VALUE FOR as a default, through sp_executesql: the test grammar does not know it (see 0010).
IF NOT EXISTS (SELECT 1 FROM sys.default_constraints WHERE parent_object_id = OBJECT_ID(N'dbo.sync_capture') AND name = N'DF_sync_capture_capture_id')
EXEC sys.sp_executesql N'ALTER TABLE dbo.sync_capture ADD CONSTRAINT DF_sync_capture_capture_id DEFAULT (NEXT VALUE FOR dbo.sync_capture_id_seq) FOR capture_id;';
GO

-- What push-service last saw of each aggregate (a source row): its status and how many transitions it has made.
-- A capture or a sweep that reports the status already recorded is a repeat, not an event; the transition count
-- is part of the event id, so a sale finalised, cancelled and finalised again gets three distinct ids. Rows are
-- kept for good: they are what tells an old sale from one the triggers never saw (see the sweep in docs/outbox.md).
IF OBJECT_ID(N'dbo.sync_event_state', N'U') IS NULL
CREATE TABLE dbo.sync_event_state (
    source_name nvarchar(128) NOT NULL,
    key_text    varchar(200)  NOT NULL,
    last_status nvarchar(100) NULL,
    transitions int           NOT NULL,
    updated_at  datetime2(3)  NOT NULL CONSTRAINT DF_sync_event_state_updated_at DEFAULT (SYSUTCDATETIME()),
    CONSTRAINT PK_sync_event_state PRIMARY KEY (source_name, key_text)
);
GO

-- Which (source table, status value) pairs have had their existing rows recorded in sync_event_state, so that
-- taking a table (or a new status value) under capture never sends its history as new events. '' stands for
-- "every row" of a table whose events fire on insert.
IF OBJECT_ID(N'dbo.sync_capture_seed', N'U') IS NULL
CREATE TABLE dbo.sync_capture_seed (
    source_name  nvarchar(128) NOT NULL,
    status_value nvarchar(100) NOT NULL,
    seeded_at    datetime2(3)  NOT NULL CONSTRAINT DF_sync_capture_seed_seeded_at DEFAULT (SYSUTCDATETIME()),
    CONSTRAINT PK_sync_capture_seed PRIMARY KEY (source_name, status_value)
);
GO

-- The declaration whose triggers are installed (its sha256): push-service turns captures into events only under
-- the declaration that made them.
IF OBJECT_ID(N'dbo.sync_event_declaration', N'U') IS NULL
CREATE TABLE dbo.sync_event_declaration (
    declaration_hash char(64)     NOT NULL CONSTRAINT PK_sync_event_declaration PRIMARY KEY,
    installed_at     datetime2(3) NOT NULL CONSTRAINT DF_sync_event_declaration_installed_at DEFAULT (SYSUTCDATETIME())
);
GO

-- Sales per day and cash-register session, on this PDV and as the central API counts them, written by
-- push-service (PUSH_RECONCILE_INTERVAL_MS) and shown by `status`. NULL central figures: not asked yet, or
-- the central API could not answer (central_error says why).
IF OBJECT_ID(N'dbo.sync_reconciliation', N'U') IS NULL
CREATE TABLE dbo.sync_reconciliation (
    day           date           NOT NULL,
    session_key   nvarchar(128)  NOT NULL,
    local_sales   bigint         NOT NULL,
    local_total   decimal(38,10) NOT NULL,
    central_sales bigint         NULL,
    central_total decimal(38,10) NULL,
    central_error nvarchar(400)  NULL,
    checked_at    datetime2(3)   NOT NULL CONSTRAINT DF_sync_reconciliation_checked_at DEFAULT (SYSUTCDATETIME()),
    CONSTRAINT PK_sync_reconciliation PRIMARY KEY (day, session_key)
);
GO

-- Status views (see 0008_status_views.sql: stub then ALTER VIEW, which keeps their grants): captures not yet turned into events, and the reconciliation.
IF OBJECT_ID(N'dbo.sync_status_capture', N'V') IS NULL EXEC(N'CREATE VIEW dbo.sync_status_capture AS SELECT 1 AS placeholder');
GO
ALTER VIEW dbo.sync_status_capture AS
SELECT
  (SELECT COUNT_BIG(*) FROM dbo.sync_capture) AS pending,
  (SELECT DATEDIFF_BIG(second, MIN(captured_at), SYSUTCDATETIME()) FROM dbo.sync_capture) AS oldest_age_s;
GO

IF OBJECT_ID(N'dbo.sync_status_reconciliation', N'V') IS NULL EXEC(N'CREATE VIEW dbo.sync_status_reconciliation AS SELECT 1 AS placeholder');
GO
ALTER VIEW dbo.sync_status_reconciliation AS
SELECT r.day, r.session_key, r.local_sales, r.local_total, r.central_sales, r.central_total, r.central_error, r.checked_at
FROM dbo.sync_reconciliation AS r;
GO
