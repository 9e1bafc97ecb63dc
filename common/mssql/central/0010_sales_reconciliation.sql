-- Sales reconciliation and sale cancellations on the central database (SQL Server). Same step as
-- postgres/central/0010_sales_reconciliation.sql. Safe to run again.

-- GET /v1/reconciliation counts one PDV's sale events of the last few days: this index finds them without
-- reading the PDV's whole inbox history. On a large inbox the build takes a while and holds the inbox
-- (CREATE INDEX without ONLINE, which SQL Server Express and Standard do not have): apply it outside the hours
-- the PDVs send, or create it by hand first.
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.sync_inbox') AND name = N'IX_sync_inbox_pdv_received')
CREATE INDEX IX_sync_inbox_pdv_received ON dbo.sync_inbox (pdv_id, received_at) INCLUDE (event_type);
GO

-- venda.cancelada (map it with EVENT_HANDLERS=...,venda.cancelada=sync_handle_venda_cancelada): the sale leaves
-- dbo.venda_central, its items and its payments. The cancellation itself stays in dbo.sync_inbox. A sale
-- finalised again on its PDV arrives as a new venda.finalizada event (another event id) and is applied anew by
-- sync_handle_venda; a cancellation of a sale that is not applied centrally is refused, so that it is sent
-- again once its sale has been.
CREATE OR ALTER PROCEDURE dbo.sync_handle_venda_cancelada
    @payload nvarchar(max),
    @pdv_id  varchar(32)
AS
BEGIN
    SET NOCOUNT ON;
    EXEC dbo.sync_check_payload @payload = @payload, @pdv_id = @pdv_id, @what = N'venda cancelada', @required = N'["venda_id","loja_id","pdv_id"]';
    DECLARE @venda_id uniqueidentifier = TRY_CONVERT(uniqueidentifier, JSON_VALUE(@payload, N'$.venda_id'));
    DECLARE @message nvarchar(2048);
    IF NOT EXISTS (SELECT 1 FROM dbo.venda_central WITH (UPDLOCK, HOLDLOCK) WHERE venda_id = @venda_id AND pdv_id = @pdv_id)
    BEGIN
        SET @message = CONCAT(N'venda ', LOWER(CONVERT(nvarchar(36), @venda_id)), N' is not applied centrally: its cancellation waits for it');
        THROW 50001, @message, 1;
    END;
    DELETE FROM dbo.venda_item_central WHERE venda_id = @venda_id;
    DELETE FROM dbo.venda_pagamento_central WHERE venda_id = @venda_id;
    DELETE FROM dbo.venda_central WHERE venda_id = @venda_id;
    SELECT CONCAT(N'{"venda_id":"', LOWER(CONVERT(nvarchar(36), @venda_id)), N'","cancelada":true}') AS result;
END;
GO
