-- Inbox retention (SQL Server). Same objects as postgres/central/0016_inbox_retention.sql, which explains
-- them. Re-runnable by hand: the creation checks first. binary(32) holds exactly a sha256, so it needs no
-- length check of its own.
IF OBJECT_ID(N'dbo.sync_inbox_purged', N'U') IS NULL
CREATE TABLE dbo.sync_inbox_purged (
    pdv_id       varchar(32)      NOT NULL,
    event_id     uniqueidentifier NOT NULL,
    outcome      smallint         NOT NULL CONSTRAINT CK_sync_inbox_purged_outcome CHECK (outcome IN (1, 2)),
    payload_hash binary(32)       NOT NULL,
    received_at  datetime2(3)     NOT NULL,
    CONSTRAINT PK_sync_inbox_purged PRIMARY KEY (pdv_id, event_id)
);
GO
