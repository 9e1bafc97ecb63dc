-- Sample GoldPDV sales tables, local to each PDV. push-service sends them up as events through sync_outbox.
-- There is deliberately no foreign key from sales to the catalog (produto, cliente, operador, loja...):
-- a finished sale is a historical record and must survive a product or customer being deleted centrally
-- and that delete being pulled down. Item descriptions are copied into the sale for the same reason.

IF OBJECT_ID(N'dbo.caixa_sessao', N'U') IS NULL
CREATE TABLE dbo.caixa_sessao (
    caixa_sessao_id uniqueidentifier NOT NULL CONSTRAINT PK_caixa_sessao PRIMARY KEY,
    loja_id         int              NOT NULL,
    pdv_id          varchar(32)      NOT NULL,
    operador_id     int              NOT NULL,
    aberto_em       datetime2(7)     NOT NULL,
    fechado_em      datetime2(7)     NULL,
    valor_abertura  decimal(18,4)    NOT NULL,
    status          varchar(10)      NOT NULL CONSTRAINT CK_caixa_sessao_status CHECK (status IN ('ABERTO', 'FECHADO'))
);
GO

IF OBJECT_ID(N'dbo.caixa_movimento', N'U') IS NULL
CREATE TABLE dbo.caixa_movimento (
    caixa_movimento_id uniqueidentifier NOT NULL CONSTRAINT PK_caixa_movimento PRIMARY KEY,
    caixa_sessao_id    uniqueidentifier NOT NULL CONSTRAINT FK_caixa_movimento_caixa_sessao REFERENCES dbo.caixa_sessao (caixa_sessao_id),
    tipo               varchar(12)      NOT NULL CONSTRAINT CK_caixa_movimento_tipo CHECK (tipo IN ('ABERTURA', 'SANGRIA', 'SUPRIMENTO', 'FECHAMENTO')),
    valor              decimal(18,4)    NOT NULL,
    ocorrido_em        datetime2(7)     NOT NULL,
    observacao         nvarchar(200)    NULL
);
GO

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.caixa_movimento') AND name = N'IX_caixa_movimento_caixa_sessao')
CREATE INDEX IX_caixa_movimento_caixa_sessao ON dbo.caixa_movimento (caixa_sessao_id);
GO

IF OBJECT_ID(N'dbo.venda', N'U') IS NULL
CREATE TABLE dbo.venda (
    venda_id        uniqueidentifier NOT NULL CONSTRAINT PK_venda PRIMARY KEY,
    caixa_sessao_id uniqueidentifier NOT NULL CONSTRAINT FK_venda_caixa_sessao REFERENCES dbo.caixa_sessao (caixa_sessao_id),
    loja_id         int              NOT NULL,
    pdv_id          varchar(32)      NOT NULL,
    numero          int              NOT NULL,
    cliente_id      uniqueidentifier NULL,
    status          varchar(12)      NOT NULL CONSTRAINT CK_venda_status CHECK (status IN ('ABERTA', 'FINALIZADA', 'CANCELADA')),
    subtotal        decimal(18,4)    NOT NULL,
    desconto        decimal(18,4)    NOT NULL,
    total           decimal(18,4)    NOT NULL,
    iniciada_em     datetime2(7)     NOT NULL,
    finalizada_em   datetime2(7)     NULL
);
GO

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.venda') AND name = N'IX_venda_caixa_sessao')
CREATE INDEX IX_venda_caixa_sessao ON dbo.venda (caixa_sessao_id);
GO

IF OBJECT_ID(N'dbo.venda_item', N'U') IS NULL
CREATE TABLE dbo.venda_item (
    venda_id       uniqueidentifier NOT NULL CONSTRAINT FK_venda_item_venda REFERENCES dbo.venda (venda_id),
    item_numero    int              NOT NULL,
    produto_id     int              NOT NULL,
    descricao      nvarchar(200)    NOT NULL,
    quantidade     decimal(18,4)    NOT NULL,
    preco_unitario decimal(18,4)    NOT NULL,
    desconto       decimal(18,4)    NOT NULL,
    total          decimal(18,4)    NOT NULL,
    CONSTRAINT PK_venda_item PRIMARY KEY (venda_id, item_numero)
);
GO

IF OBJECT_ID(N'dbo.venda_pagamento', N'U') IS NULL
CREATE TABLE dbo.venda_pagamento (
    venda_id           uniqueidentifier NOT NULL CONSTRAINT FK_venda_pagamento_venda REFERENCES dbo.venda (venda_id),
    sequencia          int              NOT NULL,
    forma_pagamento_id int              NOT NULL,
    valor              decimal(18,4)    NOT NULL,
    troco              decimal(18,4)    NOT NULL CONSTRAINT DF_venda_pagamento_troco DEFAULT (0),
    CONSTRAINT PK_venda_pagamento PRIMARY KEY (venda_id, sequencia)
);
GO
