-- The pull checkpoint's proof of initial data (SQL Server). Same columns as postgres/pdv/0009_pull_proofs.sql.
-- Every step checks first, so the file may be run again by hand.
--
-- sync_token: the Sync-Token the central API handed with the last page of the table's snapshot (and hands
-- again, under its newest key, with every page of changes). GET /v1/changes is refused (410) without it, so a
-- checkpoint that never went through a snapshot cannot skip the rows that existed before Change Tracking began.
IF COL_LENGTH(N'dbo.sync_checkpoint', N'sync_token') IS NULL
    ALTER TABLE dbo.sync_checkpoint ADD sync_token varchar(1000) NULL;
GO

-- incarnation: which incarnation of the central database the table was loaded from (the Sync-Incarnation
-- header of its pages). A page from another one (the central database was restored or failed over) sends the
-- table back to a snapshot.
IF COL_LENGTH(N'dbo.sync_checkpoint', N'incarnation') IS NULL
    ALTER TABLE dbo.sync_checkpoint ADD incarnation varchar(64) NULL;
GO

-- A table that has no checkpoint yet (a new PDV, a table new in the mapping, a reinstall) starts with a
-- snapshot: the default mode, formerly 'delta' at version 0, becomes 'snapshot'. Rows already there keep their
-- mode; those in delta mode without a token get 410 from the central API and take their snapshot then.
IF EXISTS (SELECT 1 FROM sys.default_constraints
            WHERE parent_object_id = OBJECT_ID(N'dbo.sync_checkpoint') AND name = N'DF_sync_checkpoint_mode'
              AND definition NOT LIKE N'%snapshot%')
    ALTER TABLE dbo.sync_checkpoint DROP CONSTRAINT DF_sync_checkpoint_mode;
GO

IF NOT EXISTS (SELECT 1 FROM sys.default_constraints
                WHERE parent_object_id = OBJECT_ID(N'dbo.sync_checkpoint') AND name = N'DF_sync_checkpoint_mode')
    ALTER TABLE dbo.sync_checkpoint
        ADD CONSTRAINT DF_sync_checkpoint_mode DEFAULT ('snapshot') FOR mode;
GO
