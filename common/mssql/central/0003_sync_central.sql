-- PDV registry and event inbox on the central database (SQL Server). Same objects as
-- postgres/central/0003_sync_central.sql. Safe to run again.

-- PDV registry: one row per terminal. The bearer token itself is never stored, only its sha256 hex.
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
