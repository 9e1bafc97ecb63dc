-- Sample GoldPDV master data (cadastros) on the central database (PostgreSQL).
-- Same tables and columns as sqlserver/central/0001_sample_catalog.sql, with the matching types:
-- numeric for decimal/money, timestamp(6)/timestamptz(6) for datetime2(7)/datetimeoffset(7) (PostgreSQL
-- stops at microseconds), uuid, boolean, bytea, and varchar(n) with the same maximum lengths as nvarchar(n).
-- The PDV keeps a replica of exactly these tables (pdv/0001_sample_catalog_replica.sql includes this file).
-- IF NOT EXISTS everywhere: the file may be run again by hand.

CREATE TABLE IF NOT EXISTS categoria (
    categoria_id integer      NOT NULL CONSTRAINT pk_categoria PRIMARY KEY,
    nome         varchar(100) NOT NULL,
    ativa        boolean      NOT NULL DEFAULT true
);

CREATE TABLE IF NOT EXISTS produto (
    produto_id    integer        NOT NULL CONSTRAINT pk_produto PRIMARY KEY,
    codigo_barras varchar(14)    NOT NULL, -- GTIN-8 up to GTIN-14
    descricao     varchar(200)   NOT NULL,
    categoria_id  integer        NOT NULL CONSTRAINT fk_produto_categoria REFERENCES categoria (categoria_id),
    unidade       varchar(6)     NOT NULL,
    ncm           char(8)        NULL,     -- Mercosur tax classification code
    preco_base    numeric(18,4)  NOT NULL,
    custo         numeric(18,4)  NULL,
    aliquota_icms numeric(9,4)   NOT NULL DEFAULT 0,
    peso_kg       numeric(12,4)  NULL,
    ativo         boolean        NOT NULL DEFAULT true,
    imagem        bytea          NULL,
    criado_em     timestamp(6)   NOT NULL,
    atualizado_em timestamptz(6) NOT NULL
);

CREATE TABLE IF NOT EXISTS loja (
    loja_id integer      NOT NULL CONSTRAINT pk_loja PRIMARY KEY,
    nome    varchar(100) NOT NULL,
    cnpj    char(14)     NULL
);

-- Per-store prices: the rows pull-service filters by the calling PDV's loja.
CREATE TABLE IF NOT EXISTS preco_loja (
    loja_id           integer       NOT NULL CONSTRAINT fk_preco_loja_loja REFERENCES loja (loja_id),
    produto_id        integer       NOT NULL CONSTRAINT fk_preco_loja_produto REFERENCES produto (produto_id),
    preco             numeric(18,4) NOT NULL,
    preco_promocional numeric(18,4) NULL,
    vigencia_inicio   date          NOT NULL,
    vigencia_fim      date          NULL,
    atualizado_em     timestamp(6)  NOT NULL,
    CONSTRAINT pk_preco_loja PRIMARY KEY (loja_id, produto_id)
);

-- Without it, deleting a product scans every store's prices to check the foreign key.
CREATE INDEX IF NOT EXISTS ix_preco_loja_produto ON preco_loja (produto_id);

CREATE TABLE IF NOT EXISTS cliente (
    cliente_id      uuid          NOT NULL CONSTRAINT pk_cliente PRIMARY KEY,
    nome            varchar(200)  NOT NULL,
    cpf_cnpj        varchar(14)   NULL,
    email           varchar(200)  NULL,
    limite_credito  numeric(19,4) NULL, -- SQL Server money: 19 digits, 4 decimals
    data_nascimento date          NULL,
    criado_em       timestamp(6)  NOT NULL
);

CREATE TABLE IF NOT EXISTS forma_pagamento (
    forma_pagamento_id integer      NOT NULL CONSTRAINT pk_forma_pagamento PRIMARY KEY,
    descricao          varchar(60)  NOT NULL,
    tipo               varchar(20)  NOT NULL,
    taxa_percentual    numeric(9,4) NOT NULL DEFAULT 0,
    ativa              boolean      NOT NULL DEFAULT true
);

CREATE TABLE IF NOT EXISTS operador (
    operador_id  integer      NOT NULL CONSTRAINT pk_operador PRIMARY KEY,
    nome         varchar(100) NOT NULL,
    login        varchar(30)  NOT NULL CONSTRAINT uq_operador_login UNIQUE,
    inicio_turno time(0)      NULL,
    ativo        boolean      NOT NULL DEFAULT true
);
