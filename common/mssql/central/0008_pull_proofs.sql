-- What the pull side needs beyond Change Tracking itself (SQL Server). Same role as
-- postgres/central/0008_pull_proofs.sql. Safe to run again by hand: every step checks first.
--
-- 1. Restore mark. central-api tells PDVs which incarnation of this database serves them, derived from what a
-- restore changes (sys.database_recovery_status: recovery_fork_guid, database_guid; see versions.mssql.ts) and
-- from this mark. A PDV that sees another incarnation loads its tables again. A backup carries the mark along,
-- so the mark alone detects nothing: it is what an operator moves by hand after a restore or a failover that the
-- GUIDs may not show (EXEC dbo.sync_mark_restore @note = N'...'), with NEWID() so that it never returns to a
-- value an earlier incarnation had.
IF OBJECT_ID(N'dbo.sync_restore_mark', N'U') IS NULL
CREATE TABLE dbo.sync_restore_mark (
    mark_id   int              NOT NULL CONSTRAINT PK_sync_restore_mark PRIMARY KEY CONSTRAINT CK_sync_restore_mark_one CHECK (mark_id = 1),
    mark      uniqueidentifier NOT NULL,
    marked_at datetime2(3)     NOT NULL CONSTRAINT DF_sync_restore_mark_marked_at DEFAULT (SYSUTCDATETIME()),
    note      nvarchar(400)    NULL
);
GO

IF NOT EXISTS (SELECT 1 FROM dbo.sync_restore_mark)
    INSERT INTO dbo.sync_restore_mark (mark_id, mark, note) VALUES (1, NEWID(), N'first mark (central/0008)');
GO

CREATE OR ALTER PROCEDURE dbo.sync_mark_restore
    @note nvarchar(400) = NULL
AS
BEGIN
    SET NOCOUNT ON;
    UPDATE dbo.sync_restore_mark SET mark = NEWID(), marked_at = SYSUTCDATETIME(), note = @note WHERE mark_id = 1;
END
GO

-- 2. Sync-Token keys. The last page of a snapshot hands the client a token, HMAC-signed with the newest key
-- here, that its GET /v1/changes must carry back (see sync-token.ts in central-api): Change Tracking cannot
-- tell a client that loaded the initial data from one that never did. Keys live in the database so that every
-- replica of central-api shares them without configuration; the newest signs, every key present checks.
-- Rotate with EXEC dbo.sync_rotate_token_key, then delete the older keys once every PDV has pulled again.
IF OBJECT_ID(N'dbo.sync_token_key', N'U') IS NULL
CREATE TABLE dbo.sync_token_key (
    key_id     int          NOT NULL CONSTRAINT PK_sync_token_key PRIMARY KEY,
    secret_hex char(64)     NOT NULL, -- 32 random bytes as hex
    created_at datetime2(3) NOT NULL CONSTRAINT DF_sync_token_key_created_at DEFAULT (SYSUTCDATETIME())
);
GO

-- Adds a key newer than every other: 32 random bytes from CRYPT_GEN_RANDOM, as hex (CONVERT style 2, no 0x). The range lock on the whole key
-- table makes two concurrent rotations queue instead of both taking the same id.
CREATE OR ALTER PROCEDURE dbo.sync_rotate_token_key
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    BEGIN TRANSACTION;
    INSERT INTO dbo.sync_token_key (key_id, secret_hex)
    SELECT COALESCE(MAX(k.key_id), 0) + 1, CONVERT(char(64), CRYPT_GEN_RANDOM(32), 2)
      FROM dbo.sync_token_key AS k WITH (UPDLOCK, HOLDLOCK);
    COMMIT TRANSACTION;
END
GO

IF NOT EXISTS (SELECT 1 FROM dbo.sync_token_key)
    EXEC dbo.sync_rotate_token_key;
GO
