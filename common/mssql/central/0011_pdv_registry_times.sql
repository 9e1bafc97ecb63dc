-- PDV registry (SQL Server): when each PDV last called the central API, and when its current token was issued.
-- Same step as postgres/central/0011_pdv_registry_times.sql. Read by `central-api pdv list` (the fleet view).
-- Re-runnable by hand: each step checks first.
--
-- last_seen_at is written by central-api at most once every PDV_LAST_SEEN_INTERVAL_MS per replica (the latest
-- request time of each PDV it saw, coalesced in memory), never once per request, and only ever moves forward.
-- token_issued_at is set by `pdv add` and `pdv rotate-token`; rows registered earlier start from created_at.
IF COL_LENGTH(N'dbo.sync_pdv', N'last_seen_at') IS NULL
    ALTER TABLE dbo.sync_pdv ADD last_seen_at datetime2(3) NULL;
GO
IF COL_LENGTH(N'dbo.sync_pdv', N'token_issued_at') IS NULL
    ALTER TABLE dbo.sync_pdv ADD token_issued_at datetime2(3) NULL;
GO
-- A batch of its own: the column must exist when the UPDATE is compiled.
UPDATE dbo.sync_pdv SET token_issued_at = created_at WHERE token_issued_at IS NULL;
GO
