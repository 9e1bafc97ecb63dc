-- sync_check_payload fails closed (SQL Server). Same step as postgres/central/0009_check_payload_fail_closed.sql.
-- Replaces the procedure of 0004_event_handlers.sql, which an existing database has applied already. Safe to run
-- again. A required field is looked up among the payload's top-level members (OPENJSON types 1-3: a string, a
-- number, true/false; null, an object or an array count as missing, as lax JSON_VALUE did in 0004), which runs on
-- SQL Server 2016, where 0004's JSON_VALUE with a path built from the field name needs 2017.
--
-- The 0004 version compared the payload's loja_id with the caller's loja with <>. When the caller has no row in
-- sync_pdv (a terminal deleted from the registry while central-api still trusts its token from the few seconds
-- of its authentication cache, or a handler called by hand), the caller's loja is NULL, the comparison is
-- UNKNOWN, and the check passed: the sale was applied to whatever loja the payload named. Now an unknown caller
-- (NULL pdv_id, or no loja) is refused before anything is compared. PostgreSQL's IS DISTINCT FROM already refused
-- it; its 0009 gives it the same message.
--
-- The payload's pdv_id is also compared exactly now, as PostgreSQL does: a binary collation (no case folding)
-- and equal lengths (= ignores trailing spaces under every collation), so "PDV01 " or "pdv01" is not "PDV01".

CREATE OR ALTER PROCEDURE dbo.sync_check_payload
    @payload  nvarchar(max),
    @pdv_id   varchar(32),
    @what     nvarchar(100),
    @required nvarchar(max)
AS
BEGIN
    SET NOCOUNT ON;
    DECLARE @message nvarchar(2048);
    -- LTRIM removes spaces only: tabs and line breaks before the '{' are made spaces first.
    IF ISJSON(@payload) <> 1 OR LEFT(LTRIM(REPLACE(REPLACE(REPLACE(@payload, NCHAR(9), N' '), NCHAR(10), N' '), NCHAR(13), N' ')), 1) <> N'{'
    BEGIN
        SET @message = CONCAT(@what, N' payload must be a JSON object');
        THROW 50001, @message, 1;
    END;
    DECLARE @missing nvarchar(128) = (
        SELECT TOP (1) r.value FROM OPENJSON(@required) AS r
         WHERE NOT EXISTS (SELECT 1 FROM OPENJSON(@payload) AS f WHERE f.[key] = r.value AND f.type IN (1, 2, 3))
         ORDER BY CONVERT(int, r.[key]));
    IF @missing IS NOT NULL
    BEGIN
        SET @message = CONCAT(@what, N' is missing the required field "', @missing, N'"');
        THROW 50001, @message, 1;
    END;
    -- Who is calling decides what the payload may say; without a known caller nothing can be checked.
    -- A deactivated PDV counts as unknown too: its token may still be cached by central-api for a few seconds.
    DECLARE @caller_loja int = (SELECT p.loja_id FROM dbo.sync_pdv AS p WHERE p.pdv_id = @pdv_id AND p.active = 1);
    IF @pdv_id IS NULL OR @caller_loja IS NULL
    BEGIN
        SET @message = CONCAT(@what, N' payload cannot be checked: PDV "', @pdv_id, N'" is not an active PDV of sync_pdv, so its loja is unknown');
        THROW 50001, @message, 1;
    END;
    DECLARE @caller nvarchar(32) = CONVERT(nvarchar(32), @pdv_id);
    DECLARE @payload_pdv nvarchar(4000) = JSON_VALUE(@payload, N'$.pdv_id');
    IF @payload_pdv IS NULL OR @payload_pdv COLLATE Latin1_General_100_BIN2 <> @caller COLLATE Latin1_General_100_BIN2
       OR DATALENGTH(@payload_pdv) <> DATALENGTH(@caller)
    BEGIN
        SET @message = CONCAT(@what, N' payload names pdv_id "', @payload_pdv, N'", but the caller is "', @pdv_id, N'"');
        THROW 50001, @message, 1;
    END;
    DECLARE @payload_loja int = TRY_CONVERT(int, JSON_VALUE(@payload, N'$.loja_id'));
    IF @payload_loja IS NULL OR @payload_loja <> @caller_loja
    BEGIN
        SET @message = CONCAT(@what, N' payload names loja_id ', JSON_VALUE(@payload, N'$.loja_id'), N', but PDV "', @pdv_id, N'" belongs to loja ', @caller_loja);
        THROW 50001, @message, 1;
    END;
END;
GO
