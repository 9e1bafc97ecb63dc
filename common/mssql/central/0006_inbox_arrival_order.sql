-- Arrival order of events in the central inbox. received_at is shared by every event of one batch;
-- arrival_seq orders them exactly, which is how an auditor (or a test) checks that each stream arrived in
-- order. Re-runnable by hand.
IF COL_LENGTH(N'dbo.sync_inbox', N'arrival_seq') IS NULL
    ALTER TABLE dbo.sync_inbox ADD arrival_seq bigint IDENTITY(1, 1) NOT NULL;
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_sync_inbox_arrival' AND object_id = OBJECT_ID(N'dbo.sync_inbox'))
    CREATE INDEX IX_sync_inbox_arrival ON dbo.sync_inbox (arrival_seq);
GO
