-- Sample GoldPDV master data (cadastros) on the central database.
-- The PDV keeps a replica of exactly these tables (pdv/0001_sample_catalog_replica.sql includes this file),
-- so pull-service can apply rows column for column.
-- Every object is guarded because a DBA may run the file again by hand; one object per batch so that each
-- CREATE compiles only after the tables it references exist.

IF OBJECT_ID(N'dbo.categoria', N'U') IS NULL
CREATE TABLE dbo.categoria (
    categoria_id int           NOT NULL CONSTRAINT PK_categoria PRIMARY KEY,
    nome         nvarchar(100) NOT NULL,
    ativa        bit           NOT NULL CONSTRAINT DF_categoria_ativa DEFAULT (1)
);
GO

IF OBJECT_ID(N'dbo.produto', N'U') IS NULL
CREATE TABLE dbo.produto (
    produto_id    int            NOT NULL CONSTRAINT PK_produto PRIMARY KEY,
    codigo_barras varchar(14)    NOT NULL, -- GTIN-8 up to GTIN-14
    descricao     nvarchar(200)  NOT NULL,
    categoria_id  int            NOT NULL CONSTRAINT FK_produto_categoria REFERENCES dbo.categoria (categoria_id),
    unidade       varchar(6)     NOT NULL,
    ncm           char(8)        NULL,     -- Mercosur tax classification code
    preco_base    decimal(18,4)  NOT NULL,
    custo         decimal(18,4)  NULL,
    aliquota_icms decimal(9,4)   NOT NULL CONSTRAINT DF_produto_aliquota_icms DEFAULT (0),
    peso_kg       decimal(12,4)  NULL,
    ativo         bit            NOT NULL CONSTRAINT DF_produto_ativo DEFAULT (1),
    imagem        varbinary(max) NULL,
    criado_em     datetime2(7)   NOT NULL,
    atualizado_em datetimeoffset(7) NOT NULL
);
GO

IF OBJECT_ID(N'dbo.loja', N'U') IS NULL
CREATE TABLE dbo.loja (
    loja_id int           NOT NULL CONSTRAINT PK_loja PRIMARY KEY,
    nome    nvarchar(100) NOT NULL,
    cnpj    char(14)      NULL
);
GO

-- Per-store prices: the rows pull-service filters by the calling PDV's loja.
IF OBJECT_ID(N'dbo.preco_loja', N'U') IS NULL
CREATE TABLE dbo.preco_loja (
    loja_id           int           NOT NULL CONSTRAINT FK_preco_loja_loja REFERENCES dbo.loja (loja_id),
    produto_id        int           NOT NULL CONSTRAINT FK_preco_loja_produto REFERENCES dbo.produto (produto_id),
    preco             decimal(18,4) NOT NULL,
    preco_promocional decimal(18,4) NULL,
    vigencia_inicio   date          NOT NULL,
    vigencia_fim      date          NULL,
    atualizado_em     datetime2(7)  NOT NULL,
    CONSTRAINT PK_preco_loja PRIMARY KEY (loja_id, produto_id)
);
GO

-- Without it, deleting a product scans every store's prices to check the foreign key.
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.preco_loja') AND name = N'IX_preco_loja_produto')
CREATE INDEX IX_preco_loja_produto ON dbo.preco_loja (produto_id);
GO

IF OBJECT_ID(N'dbo.cliente', N'U') IS NULL
CREATE TABLE dbo.cliente (
    cliente_id      uniqueidentifier NOT NULL CONSTRAINT PK_cliente PRIMARY KEY,
    nome            nvarchar(200)    NOT NULL,
    cpf_cnpj        varchar(14)      NULL,
    email           nvarchar(200)    NULL,
    limite_credito  money            NULL,
    data_nascimento date             NULL,
    criado_em       datetime2(7)     NOT NULL
);
GO

IF OBJECT_ID(N'dbo.forma_pagamento', N'U') IS NULL
CREATE TABLE dbo.forma_pagamento (
    forma_pagamento_id int           NOT NULL CONSTRAINT PK_forma_pagamento PRIMARY KEY,
    descricao          nvarchar(60)  NOT NULL,
    tipo               varchar(20)   NOT NULL,
    taxa_percentual    decimal(9,4)  NOT NULL CONSTRAINT DF_forma_pagamento_taxa_percentual DEFAULT (0),
    ativa              bit           NOT NULL CONSTRAINT DF_forma_pagamento_ativa DEFAULT (1)
);
GO

IF OBJECT_ID(N'dbo.operador', N'U') IS NULL
CREATE TABLE dbo.operador (
    operador_id  int           NOT NULL CONSTRAINT PK_operador PRIMARY KEY,
    nome         nvarchar(100) NOT NULL,
    login        varchar(30)   NOT NULL CONSTRAINT UQ_operador_login UNIQUE,
    inicio_turno time(0)       NULL,
    ativo        bit           NOT NULL CONSTRAINT DF_operador_ativo DEFAULT (1)
);
GO
