-- pull-service state beyond the first version of dbo.sync_checkpoint (SQL Server). Same columns as
-- postgres/pdv/0006_pull_state.sql. Every change is guarded, so the file may be run again by hand.
--
-- delta_cursor / delta_to_version: a delta window (since version -> toVersion) can span several pages; the
-- checkpoint's version moves only at the window's end, and the cursor of the next page is kept here so that a
-- restart in the middle continues the window instead of starting it again.
-- snapshot_last_key: the last key applied by a re-initialisation, as JSON. Each snapshot page deletes the local
-- rows between the previous page's last key and its own that it does not contain; after a restart the next
-- page needs that lower bound, which the server's opaque cursor does not give.
-- pending_deletes: keys (JSON array) of rows deleted centrally that local rows still refer to. They are kept
-- until the referring rows (children) have been pulled past them, then deleted; an upsert of the same key
-- cancels them. Stored with the checkpoint, so a crash never loses or replays one.

IF COL_LENGTH(N'dbo.sync_checkpoint', N'delta_cursor') IS NULL
    ALTER TABLE dbo.sync_checkpoint ADD delta_cursor nvarchar(max) NULL;
GO

IF COL_LENGTH(N'dbo.sync_checkpoint', N'delta_to_version') IS NULL
    ALTER TABLE dbo.sync_checkpoint ADD delta_to_version bigint NULL;
GO

IF COL_LENGTH(N'dbo.sync_checkpoint', N'snapshot_last_key') IS NULL
    ALTER TABLE dbo.sync_checkpoint ADD snapshot_last_key nvarchar(max) NULL;
GO

IF COL_LENGTH(N'dbo.sync_checkpoint', N'pending_deletes') IS NULL
    ALTER TABLE dbo.sync_checkpoint ADD pending_deletes nvarchar(max) NULL;
GO

-- A table held by PULL_REJECT_POLICY=stop-table meets its bad rows again on every attempt; they are recorded
-- once, which this index keeps cheap to check.
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.sync_rejected_row') AND name = N'IX_sync_rejected_row_key')
    CREATE INDEX IX_sync_rejected_row_key ON dbo.sync_rejected_row (table_name, row_key);
GO
