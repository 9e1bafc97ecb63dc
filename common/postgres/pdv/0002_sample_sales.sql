-- Sample GoldPDV sales tables, local to each PDV (PostgreSQL). Same tables as
-- sqlserver/pdv/0002_sample_sales.sql. push-service sends them up as events through sync_outbox.
-- There is deliberately no foreign key from sales to the catalog (produto, cliente, operador, loja...):
-- a finished sale is a historical record and must survive a product or customer being deleted centrally
-- and that delete being pulled down. Item descriptions are copied into the sale for the same reason.

CREATE TABLE IF NOT EXISTS caixa_sessao (
    caixa_sessao_id uuid          NOT NULL CONSTRAINT pk_caixa_sessao PRIMARY KEY,
    loja_id         integer       NOT NULL,
    pdv_id          varchar(32)   NOT NULL,
    operador_id     integer       NOT NULL,
    aberto_em       timestamp(6)  NOT NULL,
    fechado_em      timestamp(6)  NULL,
    valor_abertura  numeric(18,4) NOT NULL,
    status          varchar(10)   NOT NULL CONSTRAINT ck_caixa_sessao_status CHECK (status IN ('ABERTO', 'FECHADO'))
);

CREATE TABLE IF NOT EXISTS caixa_movimento (
    caixa_movimento_id uuid          NOT NULL CONSTRAINT pk_caixa_movimento PRIMARY KEY,
    caixa_sessao_id    uuid          NOT NULL CONSTRAINT fk_caixa_movimento_caixa_sessao REFERENCES caixa_sessao (caixa_sessao_id),
    tipo               varchar(12)   NOT NULL CONSTRAINT ck_caixa_movimento_tipo CHECK (tipo IN ('ABERTURA', 'SANGRIA', 'SUPRIMENTO', 'FECHAMENTO')),
    valor              numeric(18,4) NOT NULL,
    ocorrido_em        timestamp(6)  NOT NULL,
    observacao         varchar(200)  NULL
);

CREATE INDEX IF NOT EXISTS ix_caixa_movimento_caixa_sessao ON caixa_movimento (caixa_sessao_id);

CREATE TABLE IF NOT EXISTS venda (
    venda_id        uuid          NOT NULL CONSTRAINT pk_venda PRIMARY KEY,
    caixa_sessao_id uuid          NOT NULL CONSTRAINT fk_venda_caixa_sessao REFERENCES caixa_sessao (caixa_sessao_id),
    loja_id         integer       NOT NULL,
    pdv_id          varchar(32)   NOT NULL,
    numero          integer       NOT NULL,
    cliente_id      uuid          NULL,
    status          varchar(12)   NOT NULL CONSTRAINT ck_venda_status CHECK (status IN ('ABERTA', 'FINALIZADA', 'CANCELADA')),
    subtotal        numeric(18,4) NOT NULL,
    desconto        numeric(18,4) NOT NULL,
    total           numeric(18,4) NOT NULL,
    iniciada_em     timestamp(6)  NOT NULL,
    finalizada_em   timestamp(6)  NULL
);

CREATE INDEX IF NOT EXISTS ix_venda_caixa_sessao ON venda (caixa_sessao_id);

CREATE TABLE IF NOT EXISTS venda_item (
    venda_id       uuid          NOT NULL CONSTRAINT fk_venda_item_venda REFERENCES venda (venda_id),
    item_numero    integer       NOT NULL,
    produto_id     integer       NOT NULL,
    descricao      varchar(200)  NOT NULL,
    quantidade     numeric(18,4) NOT NULL,
    preco_unitario numeric(18,4) NOT NULL,
    desconto       numeric(18,4) NOT NULL,
    total          numeric(18,4) NOT NULL,
    CONSTRAINT pk_venda_item PRIMARY KEY (venda_id, item_numero)
);

CREATE TABLE IF NOT EXISTS venda_pagamento (
    venda_id           uuid          NOT NULL CONSTRAINT fk_venda_pagamento_venda REFERENCES venda (venda_id),
    sequencia          integer       NOT NULL,
    forma_pagamento_id integer       NOT NULL,
    valor              numeric(18,4) NOT NULL,
    troco              numeric(18,4) NOT NULL DEFAULT 0,
    CONSTRAINT pk_venda_pagamento PRIMARY KEY (venda_id, sequencia)
);
