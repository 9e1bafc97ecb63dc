-- Stock movements and the handlers that make them (SQL Server). Same step as
-- postgres/central/0014_stock_movements.sql, which explains it. Re-runnable by hand: the creations check first.

IF OBJECT_ID(N'dbo.estoque_movimento', N'U') IS NULL
CREATE TABLE dbo.estoque_movimento (
    movimento_id bigint           IDENTITY(1,1) NOT NULL CONSTRAINT PK_estoque_movimento PRIMARY KEY,
    lote_id      uniqueidentifier NOT NULL,
    origem       varchar(16)      NOT NULL CONSTRAINT CK_estoque_movimento_origem CHECK (origem IN ('purchase', 'write-off', 'sale', 'sale-cancel')),
    origem_id    varchar(64)      NOT NULL,
    loja_id      int              NOT NULL CONSTRAINT FK_estoque_movimento_loja REFERENCES dbo.loja (loja_id),
    produto_id   int              NOT NULL CONSTRAINT FK_estoque_movimento_produto REFERENCES dbo.produto (produto_id),
    quantidade   decimal(18,4)    NOT NULL, -- signed: positive enters the loja's stock, negative leaves it
    custo_unitario decimal(18,4)    NULL, -- what a purchase paid per unit; NULL for the other sources
    ocorrido_em  datetime2(7)     NOT NULL CONSTRAINT DF_estoque_movimento_ocorrido_em DEFAULT (SYSUTCDATETIME())
);
GO

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.estoque_movimento') AND name = N'IX_estoque_movimento_lote')
CREATE INDEX IX_estoque_movimento_lote ON dbo.estoque_movimento (lote_id);
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.estoque_movimento') AND name = N'IX_estoque_movimento_origem')
CREATE INDEX IX_estoque_movimento_origem ON dbo.estoque_movimento (origem_id, origem);
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.estoque_movimento') AND name = N'IX_estoque_movimento_loja_produto')
CREATE INDEX IX_estoque_movimento_loja_produto ON dbo.estoque_movimento (loja_id, produto_id);
GO
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.estoque_movimento') AND name = N'IX_estoque_movimento_produto')
CREATE INDEX IX_estoque_movimento_produto ON dbo.estoque_movimento (produto_id);
GO

-- PDVs pull their loja's stock like any filtered catalog table. The schema lock wait is bounded as in 0002.
SET LOCK_TIMEOUT 10000;
IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_tables WHERE object_id = OBJECT_ID(N'dbo.estoque'))
    ALTER TABLE dbo.estoque ENABLE CHANGE_TRACKING WITH (TRACK_COLUMNS_UPDATED = OFF);
SET LOCK_TIMEOUT -1;
GO

-- Applies one lote of movements to dbo.estoque, one row per (loja, produto). HOLDLOCK: two transactions
-- giving the same (loja, produto) its first stock would otherwise both find no row and both insert.
CREATE OR ALTER PROCEDURE dbo.sync_apply_stock_lote
    @lote_id uniqueidentifier
AS
BEGIN
    SET NOCOUNT ON;
    MERGE dbo.estoque WITH (HOLDLOCK) AS e
    USING (SELECT m.loja_id, m.produto_id, SUM(m.quantidade) AS quantidade,
                  MAX(m.movimento_id) AS ultimo_movimento_id, MAX(m.ocorrido_em) AS ultimo_movimento_em
             FROM dbo.estoque_movimento AS m
            WHERE m.lote_id = @lote_id
            GROUP BY m.loja_id, m.produto_id) AS l
       ON e.loja_id = l.loja_id AND e.produto_id = l.produto_id
     WHEN MATCHED THEN
          UPDATE SET quantidade = e.quantidade + l.quantidade,
                     ultimo_movimento_id = l.ultimo_movimento_id,
                     ultimo_movimento_em = l.ultimo_movimento_em
     WHEN NOT MATCHED THEN
          INSERT (loja_id, produto_id, quantidade, ultimo_movimento_id, ultimo_movimento_em)
          VALUES (l.loja_id, l.produto_id, l.quantidade, l.ultimo_movimento_id, l.ultimo_movimento_em);
END;
GO

-- Stock recomputed from its movements, beside the stored one, wherever the two differ. Created once as a stub
-- and then ALTERed, as in pdv/0008_status_views.sql, which keeps the grants a monitoring login holds on it.
IF OBJECT_ID(N'dbo.estoque_divergente', N'V') IS NULL EXEC(N'CREATE VIEW dbo.estoque_divergente AS SELECT 1 AS placeholder');
GO
ALTER VIEW dbo.estoque_divergente AS
SELECT COALESCE(e.loja_id, m.loja_id) AS loja_id,
       COALESCE(e.produto_id, m.produto_id) AS produto_id,
       e.quantidade AS quantidade_gravada,
       COALESCE(m.quantidade, 0) AS quantidade_movimentada
  FROM dbo.estoque AS e
  FULL JOIN (SELECT loja_id, produto_id, SUM(quantidade) AS quantidade
               FROM dbo.estoque_movimento GROUP BY loja_id, produto_id) AS m
    ON m.loja_id = e.loja_id AND m.produto_id = e.produto_id
 WHERE e.quantidade IS NULL OR e.quantidade <> COALESCE(m.quantidade, 0);
GO

-- venda.finalizada, as in 0004_event_handlers.sql, now also taking the items out of the loja's stock. An item
-- of a product the catalog does not know moves no stock (see the PostgreSQL twin).
CREATE OR ALTER PROCEDURE dbo.sync_handle_venda
    @payload nvarchar(max),
    @pdv_id  varchar(32)
AS
BEGIN
    SET NOCOUNT ON;
    EXEC dbo.sync_check_payload @payload = @payload, @pdv_id = @pdv_id, @what = N'venda',
        @required = N'["venda_id","loja_id","pdv_id","numero","caixa_sessao_id","status","subtotal","desconto","total","iniciada_em"]';
    DECLARE @venda_id uniqueidentifier = CONVERT(uniqueidentifier, JSON_VALUE(@payload, N'$.venda_id'));
    DECLARE @loja_id int = CONVERT(int, JSON_VALUE(@payload, N'$.loja_id'));
    DECLARE @lote_id uniqueidentifier = NEWID();
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

    INSERT INTO dbo.estoque_movimento (lote_id, origem, origem_id, loja_id, produto_id, quantidade)
    SELECT @lote_id, 'sale', LOWER(CONVERT(varchar(36), @venda_id)), l.loja_id, i.produto_id, -i.quantidade
      FROM dbo.venda_item_central AS i
      JOIN dbo.produto AS p ON p.produto_id = i.produto_id
      JOIN dbo.loja AS l ON l.loja_id = @loja_id
     WHERE i.venda_id = @venda_id AND i.quantidade <> 0;
    EXEC dbo.sync_apply_stock_lote @lote_id = @lote_id;

    SELECT CONCAT(N'{"venda_id":"', LOWER(CONVERT(nvarchar(36), @venda_id)), N'","itens":', @itens, N',"pagamentos":', @pagamentos, N'}') AS result;
END;
GO

-- venda.cancelada, as in 0010_sales_reconciliation.sql, now also putting back the net of the sale's movements
-- so far (see the PostgreSQL twin).
CREATE OR ALTER PROCEDURE dbo.sync_handle_venda_cancelada
    @payload nvarchar(max),
    @pdv_id  varchar(32)
AS
BEGIN
    SET NOCOUNT ON;
    EXEC dbo.sync_check_payload @payload = @payload, @pdv_id = @pdv_id, @what = N'venda cancelada', @required = N'["venda_id","loja_id","pdv_id"]';
    DECLARE @venda_id uniqueidentifier = TRY_CONVERT(uniqueidentifier, JSON_VALUE(@payload, N'$.venda_id'));
    DECLARE @origem_id varchar(64) = LOWER(CONVERT(varchar(36), @venda_id));
    DECLARE @lote_id uniqueidentifier = NEWID();
    DECLARE @message nvarchar(2048);
    IF NOT EXISTS (SELECT 1 FROM dbo.venda_central WITH (UPDLOCK, HOLDLOCK) WHERE venda_id = @venda_id AND pdv_id = @pdv_id)
    BEGIN
        SET @message = CONCAT(N'venda ', LOWER(CONVERT(nvarchar(36), @venda_id)), N' is not applied centrally: its cancellation waits for it');
        THROW 50001, @message, 1;
    END;
    INSERT INTO dbo.estoque_movimento (lote_id, origem, origem_id, loja_id, produto_id, quantidade)
    SELECT @lote_id, 'sale-cancel', @origem_id, m.loja_id, m.produto_id, -SUM(m.quantidade)
      FROM dbo.estoque_movimento AS m
     WHERE m.origem_id = @origem_id AND m.origem IN ('sale', 'sale-cancel')
     GROUP BY m.loja_id, m.produto_id
    HAVING SUM(m.quantidade) <> 0;
    EXEC dbo.sync_apply_stock_lote @lote_id = @lote_id;
    DELETE FROM dbo.venda_item_central WHERE venda_id = @venda_id;
    DELETE FROM dbo.venda_pagamento_central WHERE venda_id = @venda_id;
    DELETE FROM dbo.venda_central WHERE venda_id = @venda_id;
    SELECT CONCAT(N'{"venda_id":"', LOWER(CONVERT(nvarchar(36), @venda_id)), N'","cancelada":true}') AS result;
END;
GO
