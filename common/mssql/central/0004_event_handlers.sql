-- Reference event handlers on the central database (SQL Server 2017 or later, compatibility level 130+ for
-- OPENJSON). Same objects as postgres/central/0004_event_handlers.sql. Safe to run again.
--
-- The central API calls a handler inside the transaction that stores the event in dbo.sync_inbox, once per new
-- event (never for a replay), as   EXEC dbo.sync_handle_venda @payload = @p1, @pdv_id = @p2   and reads the
-- first column `result` of the row the procedure selects; that text is stored in sync_inbox.result and
-- answered again on replays. A THROW rejects the event (the PDV dead-letters it); the API rolls back to its
-- savepoint and drops the inbox row, so that the event can be sent again once the cause is fixed. Handlers
-- must leave XACT_ABORT off, or an error would doom the whole batch's transaction.
--
-- Decimals arrive as JSON strings ("10.0000") and OPENJSON converts them straight to decimal(18,4), never
-- through a floating-point number. The payload's pdv_id must be the caller's and its loja_id the caller's loja.

IF OBJECT_ID(N'dbo.venda_central', N'U') IS NULL
CREATE TABLE dbo.venda_central (
    venda_id        uniqueidentifier NOT NULL CONSTRAINT PK_venda_central PRIMARY KEY,
    pdv_id          varchar(32)      NOT NULL,
    loja_id         int              NOT NULL,
    numero          int              NOT NULL,
    caixa_sessao_id uniqueidentifier NOT NULL,
    cliente_id      uniqueidentifier NULL,
    status          varchar(12)      NOT NULL,
    subtotal        decimal(18,4)    NOT NULL,
    desconto        decimal(18,4)    NOT NULL,
    total           decimal(18,4)    NOT NULL,
    iniciada_em     datetime2(7)     NOT NULL,
    finalizada_em   datetime2(7)     NULL,
    received_at     datetime2(3)     NOT NULL CONSTRAINT DF_venda_central_received_at DEFAULT (SYSUTCDATETIME())
);
GO

IF OBJECT_ID(N'dbo.venda_item_central', N'U') IS NULL
CREATE TABLE dbo.venda_item_central (
    venda_id       uniqueidentifier NOT NULL CONSTRAINT FK_venda_item_central_venda REFERENCES dbo.venda_central (venda_id),
    item_numero    int              NOT NULL,
    produto_id     int              NOT NULL,
    descricao      nvarchar(200)    NOT NULL,
    quantidade     decimal(18,4)    NOT NULL,
    preco_unitario decimal(18,4)    NOT NULL,
    desconto       decimal(18,4)    NOT NULL,
    total          decimal(18,4)    NOT NULL,
    CONSTRAINT PK_venda_item_central PRIMARY KEY (venda_id, item_numero)
);
GO

IF OBJECT_ID(N'dbo.venda_pagamento_central', N'U') IS NULL
CREATE TABLE dbo.venda_pagamento_central (
    venda_id           uniqueidentifier NOT NULL CONSTRAINT FK_venda_pagamento_central_venda REFERENCES dbo.venda_central (venda_id),
    sequencia          int              NOT NULL,
    forma_pagamento_id int              NOT NULL,
    valor              decimal(18,4)    NOT NULL,
    troco              decimal(18,4)    NOT NULL,
    CONSTRAINT PK_venda_pagamento_central PRIMARY KEY (venda_id, sequencia)
);
GO

IF OBJECT_ID(N'dbo.caixa_movimento_central', N'U') IS NULL
CREATE TABLE dbo.caixa_movimento_central (
    caixa_movimento_id uniqueidentifier NOT NULL CONSTRAINT PK_caixa_movimento_central PRIMARY KEY,
    caixa_sessao_id    uniqueidentifier NOT NULL,
    pdv_id             varchar(32)      NOT NULL,
    loja_id            int              NOT NULL,
    operador_id        int              NOT NULL,
    tipo               varchar(12)      NOT NULL,
    valor              decimal(18,4)    NOT NULL,
    ocorrido_em        datetime2(7)     NOT NULL,
    observacao         nvarchar(200)    NULL,
    received_at        datetime2(3)     NOT NULL CONSTRAINT DF_caixa_movimento_central_received_at DEFAULT (SYSUTCDATETIME())
);
GO

-- Checks a JSON object: it is an object, it belongs to the calling PDV and its loja, and every member named in
-- @required (a JSON array of names) is present and not null. THROWs 50001 with a message naming the problem.
CREATE OR ALTER PROCEDURE dbo.sync_check_payload
    @payload  nvarchar(max),
    @pdv_id   varchar(32),
    @what     nvarchar(100),
    @required nvarchar(max)
AS
BEGIN
    SET NOCOUNT ON;
    DECLARE @message nvarchar(2048);
    IF ISJSON(@payload) <> 1 OR LEFT(LTRIM(@payload), 1) <> N'{'
    BEGIN
        SET @message = CONCAT(@what, N' payload must be a JSON object');
        THROW 50001, @message, 1;
    END;
    DECLARE @missing nvarchar(128) = (
        SELECT TOP (1) r.value FROM OPENJSON(@required) AS r
         WHERE JSON_VALUE(@payload, CONCAT(N'$.', r.value)) IS NULL
         ORDER BY CONVERT(int, r.[key]));
    IF @missing IS NOT NULL
    BEGIN
        SET @message = CONCAT(@what, N' is missing the required field "', @missing, N'"');
        THROW 50001, @message, 1;
    END;
    IF JSON_VALUE(@payload, N'$.pdv_id') IS NULL OR JSON_VALUE(@payload, N'$.pdv_id') <> @pdv_id
    BEGIN
        SET @message = CONCAT(@what, N' payload names pdv_id "', JSON_VALUE(@payload, N'$.pdv_id'), N'", but the caller is "', @pdv_id, N'"');
        THROW 50001, @message, 1;
    END;
    DECLARE @caller_loja int = (SELECT p.loja_id FROM dbo.sync_pdv AS p WHERE p.pdv_id = @pdv_id);
    IF TRY_CONVERT(int, JSON_VALUE(@payload, N'$.loja_id')) IS NULL OR TRY_CONVERT(int, JSON_VALUE(@payload, N'$.loja_id')) <> @caller_loja
    BEGIN
        SET @message = CONCAT(@what, N' payload names loja_id ', JSON_VALUE(@payload, N'$.loja_id'), N', but PDV "', @pdv_id, N'" belongs to loja ', @caller_loja);
        THROW 50001, @message, 1;
    END;
END;
GO

-- venda.finalizada: the sale, its items and its payments. A venda_id seen before raises a duplicate key error
-- on PK_venda_central: a sale is never applied twice, whatever path it came by.
CREATE OR ALTER PROCEDURE dbo.sync_handle_venda
    @payload nvarchar(max),
    @pdv_id  varchar(32)
AS
BEGIN
    SET NOCOUNT ON;
    EXEC dbo.sync_check_payload @payload = @payload, @pdv_id = @pdv_id, @what = N'venda',
        @required = N'["venda_id","loja_id","pdv_id","numero","caixa_sessao_id","status","subtotal","desconto","total","iniciada_em"]';
    DECLARE @venda_id uniqueidentifier = CONVERT(uniqueidentifier, JSON_VALUE(@payload, N'$.venda_id'));
    DECLARE @what nvarchar(100) = CONCAT(N'venda ', LOWER(CONVERT(nvarchar(36), @venda_id)));
    DECLARE @message nvarchar(2048);
    IF (SELECT COUNT(*) FROM OPENJSON(@payload, N'$.itens')) = 0 OR ISJSON(JSON_QUERY(@payload, N'$.itens')) <> 1
    BEGIN
        SET @message = CONCAT(@what, N' must have a non-empty "itens" array');
        THROW 50001, @message, 1;
    END;
    DECLARE @bad_item nvarchar(10) = (
        SELECT TOP (1) i.[key] FROM OPENJSON(@payload, N'$.itens') AS i
         WHERE JSON_VALUE(i.value, N'$.item_numero') IS NULL OR JSON_VALUE(i.value, N'$.produto_id') IS NULL
            OR JSON_VALUE(i.value, N'$.descricao') IS NULL OR JSON_VALUE(i.value, N'$.quantidade') IS NULL
            OR JSON_VALUE(i.value, N'$.preco_unitario') IS NULL OR JSON_VALUE(i.value, N'$.desconto') IS NULL
            OR JSON_VALUE(i.value, N'$.total') IS NULL
         ORDER BY CONVERT(int, i.[key]));
    IF @bad_item IS NOT NULL
    BEGIN
        SET @message = CONCAT(@what, N' item ', @bad_item, N' is missing one of item_numero, produto_id, descricao, quantidade, preco_unitario, desconto, total');
        THROW 50001, @message, 1;
    END;

    INSERT INTO dbo.venda_central (venda_id, pdv_id, loja_id, numero, caixa_sessao_id, cliente_id, status,
                                   subtotal, desconto, total, iniciada_em, finalizada_em)
    SELECT @venda_id, @pdv_id, v.loja_id, v.numero, v.caixa_sessao_id, v.cliente_id, v.status,
           v.subtotal, v.desconto, v.total, v.iniciada_em, v.finalizada_em
      FROM OPENJSON(@payload) WITH (
           loja_id int '$.loja_id',
           numero int '$.numero',
           caixa_sessao_id uniqueidentifier '$.caixa_sessao_id',
           cliente_id uniqueidentifier '$.cliente_id',
           status varchar(12) '$.status',
           subtotal decimal(18,4) '$.subtotal',
           desconto decimal(18,4) '$.desconto',
           total decimal(18,4) '$.total',
           iniciada_em datetime2(7) '$.iniciada_em',
           finalizada_em datetime2(7) '$.finalizada_em') AS v;

    INSERT INTO dbo.venda_item_central (venda_id, item_numero, produto_id, descricao, quantidade, preco_unitario, desconto, total)
    SELECT @venda_id, i.item_numero, i.produto_id, i.descricao, i.quantidade, i.preco_unitario, i.desconto, i.total
      FROM OPENJSON(@payload, N'$.itens') WITH (
           item_numero int '$.item_numero',
           produto_id int '$.produto_id',
           descricao nvarchar(200) '$.descricao',
           quantidade decimal(18,4) '$.quantidade',
           preco_unitario decimal(18,4) '$.preco_unitario',
           desconto decimal(18,4) '$.desconto',
           total decimal(18,4) '$.total') AS i;
    DECLARE @itens int = @@ROWCOUNT;

    INSERT INTO dbo.venda_pagamento_central (venda_id, sequencia, forma_pagamento_id, valor, troco)
    SELECT @venda_id, p.sequencia, p.forma_pagamento_id, p.valor, ISNULL(p.troco, 0)
      FROM OPENJSON(@payload, N'$.pagamentos') WITH (
           sequencia int '$.sequencia',
           forma_pagamento_id int '$.forma_pagamento_id',
           valor decimal(18,4) '$.valor',
           troco decimal(18,4) '$.troco') AS p;
    DECLARE @pagamentos int = @@ROWCOUNT;

    SELECT CONCAT(N'{"venda_id":"', LOWER(CONVERT(nvarchar(36), @venda_id)), N'","itens":', @itens, N',"pagamentos":', @pagamentos, N'}') AS result;
END;
GO

-- caixa.movimento: one cash movement (opening, bleed, top-up, closing). A repeated id raises a duplicate key error.
CREATE OR ALTER PROCEDURE dbo.sync_handle_caixa_movimento
    @payload nvarchar(max),
    @pdv_id  varchar(32)
AS
BEGIN
    SET NOCOUNT ON;
    EXEC dbo.sync_check_payload @payload = @payload, @pdv_id = @pdv_id, @what = N'caixa movimento',
        @required = N'["caixa_movimento_id","caixa_sessao_id","loja_id","pdv_id","operador_id","tipo","valor","ocorrido_em"]';
    DECLARE @id uniqueidentifier = CONVERT(uniqueidentifier, JSON_VALUE(@payload, N'$.caixa_movimento_id'));

    INSERT INTO dbo.caixa_movimento_central (caixa_movimento_id, caixa_sessao_id, pdv_id, loja_id, operador_id, tipo, valor, ocorrido_em, observacao)
    SELECT @id, m.caixa_sessao_id, @pdv_id, m.loja_id, m.operador_id, m.tipo, m.valor, m.ocorrido_em, m.observacao
      FROM OPENJSON(@payload) WITH (
           caixa_sessao_id uniqueidentifier '$.caixa_sessao_id',
           loja_id int '$.loja_id',
           operador_id int '$.operador_id',
           tipo varchar(12) '$.tipo',
           valor decimal(18,4) '$.valor',
           ocorrido_em datetime2(7) '$.ocorrido_em',
           observacao nvarchar(200) '$.observacao') AS m;

    SELECT CONCAT(N'{"caixa_movimento_id":"', LOWER(CONVERT(nvarchar(36), @id)), N'"}') AS result;
END;
GO
