-- Auxiliary sync tables on each PDV's local database (SQL Server): the outbox, its dead letters, the pull
-- checkpoints and rejected rows. Same objects as postgres/pdv/0003_pdv_aux_tables.sql. Safe to run again:
-- every object is created only if missing. Applied by the schema runner, or by hand through the entry script
-- common/pdv_aux_tables.sql.
--
-- All sync timestamps are UTC (SYSUTCDATETIME), so a PDV's time zone never shifts a retry schedule.

-- Events waiting to go up to the central API. The PDV's sales code (or a trigger) inserts a row in the same
-- transaction as the sale; push-service claims rows under a lease and marks them sent.
-- payload is text rather than a JSON type: its exact bytes are fingerprinted for idempotency, and a row
-- whose payload is not valid JSON must still be storable so that it can be dead-lettered.
IF OBJECT_ID(N'dbo.sync_outbox', N'U') IS NULL
CREATE TABLE dbo.sync_outbox (
    outbox_id       bigint IDENTITY(1,1) NOT NULL CONSTRAINT PK_sync_outbox PRIMARY KEY,
    event_id        uniqueidentifier NOT NULL CONSTRAINT UQ_sync_outbox_event_id UNIQUE,
    event_type      varchar(64)      NOT NULL,
    stream_key      nvarchar(128)    NOT NULL, -- events of one stream (e.g. one caixa session) go up in order
    payload         nvarchar(max)    NOT NULL,
    created_at      datetime2(3)     NOT NULL CONSTRAINT DF_sync_outbox_created_at DEFAULT (SYSUTCDATETIME()),
    attempts        int              NOT NULL CONSTRAINT DF_sync_outbox_attempts DEFAULT (0),
    -- Claims that never reached a result: a row that keeps crashing the worker is set aside as poison.
    claim_count     int              NOT NULL CONSTRAINT DF_sync_outbox_claim_count DEFAULT (0),
    next_attempt_at datetime2(3)     NOT NULL CONSTRAINT DF_sync_outbox_next_attempt_at DEFAULT (SYSUTCDATETIME()),
    lease_owner     varchar(64)      NULL,
    lease_until     datetime2(3)     NULL,
    last_error      nvarchar(2000)   NULL,
    last_status     int              NULL,     -- HTTP status of the last answer, if any
    sent_at         datetime2(3)     NULL
);
GO

-- Plain (not filtered) indexes on purpose: a filtered index makes every INSERT fail on a connection with
-- QUOTED_IDENTIFIER OFF, and the outbox is written by the PDV's own sales code inside the sale.
-- Claim: pending rows (sent_at IS NULL) that are due, oldest first. Retention: sent rows older than the
-- audit window are a range seek on the same leading column.
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.sync_outbox') AND name = N'IX_sync_outbox_claim')
CREATE INDEX IX_sync_outbox_claim ON dbo.sync_outbox (sent_at, next_attempt_at, outbox_id) INCLUDE (stream_key, lease_until);
GO

-- FIFO within a stream: the head of each stream is its lowest pending outbox_id.
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.sync_outbox') AND name = N'IX_sync_outbox_stream')
CREATE INDEX IX_sync_outbox_stream ON dbo.sync_outbox (stream_key, sent_at, outbox_id);
GO

-- Rows the central API refused for good (422 or another 4xx) or that were set aside as poison.
-- Keeps the outbox row as it was, so the event can be inspected and re-queued by hand.
IF OBJECT_ID(N'dbo.sync_dead_letter', N'U') IS NULL
CREATE TABLE dbo.sync_dead_letter (
    outbox_id       bigint           NOT NULL CONSTRAINT PK_sync_dead_letter PRIMARY KEY,
    event_id        uniqueidentifier NOT NULL CONSTRAINT UQ_sync_dead_letter_event_id UNIQUE,
    event_type      varchar(64)      NOT NULL,
    stream_key      nvarchar(128)    NOT NULL,
    payload         nvarchar(max)    NOT NULL,
    created_at      datetime2(3)     NOT NULL,
    attempts        int              NOT NULL,
    claim_count     int              NOT NULL,
    next_attempt_at datetime2(3)     NOT NULL,
    lease_owner     varchar(64)      NULL,
    lease_until     datetime2(3)     NULL,
    last_error      nvarchar(2000)   NULL,
    last_status     int              NULL,
    sent_at         datetime2(3)     NULL,
    reason          nvarchar(2000)   NOT NULL,
    dead_at         datetime2(3)     NOT NULL CONSTRAINT DF_sync_dead_letter_dead_at DEFAULT (SYSUTCDATETIME())
);
GO

-- One row per pulled table. version is the last central version fully applied; it moves in the same local
-- transaction as the rows it covers. While mode = 'snapshot', the table is being re-initialised:
-- snapshot_version is where deltas resume afterwards and snapshot_cursor is where the paged copy resumes.
IF OBJECT_ID(N'dbo.sync_checkpoint', N'U') IS NULL
CREATE TABLE dbo.sync_checkpoint (
    table_name       varchar(128)   NOT NULL CONSTRAINT PK_sync_checkpoint PRIMARY KEY,
    version          bigint         NOT NULL CONSTRAINT DF_sync_checkpoint_version DEFAULT (0),
    mode             varchar(12)    NOT NULL CONSTRAINT DF_sync_checkpoint_mode DEFAULT ('delta')
                                    CONSTRAINT CK_sync_checkpoint_mode CHECK (mode IN ('delta', 'snapshot')),
    snapshot_version bigint         NULL,
    snapshot_cursor  nvarchar(max)  NULL,
    rows_applied     bigint         NOT NULL CONSTRAINT DF_sync_checkpoint_rows_applied DEFAULT (0),
    last_success_at  datetime2(3)   NULL,
    last_error       nvarchar(2000) NULL,
    last_error_at    datetime2(3)   NULL,
    updated_at       datetime2(3)   NOT NULL CONSTRAINT DF_sync_checkpoint_updated_at DEFAULT (SYSUTCDATETIME())
);
GO

-- Pulled rows that the local database refused (constraint, conversion...), isolated from their batch so that
-- the rest of the page still applies. row_key and row_data are JSON text.
IF OBJECT_ID(N'dbo.sync_rejected_row', N'U') IS NULL
CREATE TABLE dbo.sync_rejected_row (
    rejected_id    bigint IDENTITY(1,1) NOT NULL CONSTRAINT PK_sync_rejected_row PRIMARY KEY,
    table_name     varchar(128)   NOT NULL,
    row_key        nvarchar(400)  NOT NULL,
    column_name    varchar(128)   NULL,
    reason         nvarchar(2000) NOT NULL,
    row_data       nvarchar(max)  NULL,
    source_version bigint         NULL,
    rejected_at    datetime2(3)   NOT NULL CONSTRAINT DF_sync_rejected_row_rejected_at DEFAULT (SYSUTCDATETIME())
);
GO
