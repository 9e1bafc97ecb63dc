-- Stock per store (SQL Server): how much of each product a loja holds. Same table as
-- postgres/central/0013_estoque.sql, which explains it. The PDV keeps a replica of its own loja's rows
-- (pdv/0013_estoque_replica.sql includes this file). Re-runnable by hand: the creation checks first.

IF OBJECT_ID(N'dbo.estoque', N'U') IS NULL
CREATE TABLE dbo.estoque (
    loja_id             int           NOT NULL CONSTRAINT FK_estoque_loja REFERENCES dbo.loja (loja_id),
    produto_id          int           NOT NULL CONSTRAINT FK_estoque_produto REFERENCES dbo.produto (produto_id),
    quantidade          decimal(18,4) NOT NULL,
    ultimo_movimento_id bigint        NOT NULL,
    ultimo_movimento_em datetime2(7)  NOT NULL,
    CONSTRAINT PK_estoque PRIMARY KEY (loja_id, produto_id)
);
GO

-- Without it, deleting a product scans every store's stock to check the foreign key.
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.estoque') AND name = N'IX_estoque_produto')
CREATE INDEX IX_estoque_produto ON dbo.estoque (produto_id);
GO
