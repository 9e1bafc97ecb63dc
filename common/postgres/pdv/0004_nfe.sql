-- NF-e (electronic invoice) documents issued by the PDV for its sales (PostgreSQL). Same table as
-- sqlserver/pdv/0004_nfe.sql. push-service sends nfe.autorizada / nfe.cancelada events up through sync_outbox
-- (see 0005_outbox_producer.sql). Safe to run again.

CREATE TABLE IF NOT EXISTS nfe_documento (
    nfe_id              uuid          NOT NULL CONSTRAINT pk_nfe_documento PRIMARY KEY,
    venda_id            uuid          NOT NULL CONSTRAINT fk_nfe_documento_venda REFERENCES venda (venda_id),
    -- The 44-digit access key identifies the document at SEFAZ: one row per key.
    chave               char(44)      NOT NULL CONSTRAINT uq_nfe_documento_chave UNIQUE,
    serie               integer       NOT NULL,
    numero              integer       NOT NULL,
    status              varchar(12)   NOT NULL CONSTRAINT ck_nfe_documento_status CHECK (status IN ('PENDENTE', 'AUTORIZADA', 'CANCELADA')),
    -- The signed XML as authorised (typically 5-50 KB); kept verbatim because it is the fiscal record.
    xml                 text          NULL,
    protocolo           varchar(20)   NULL,
    autorizada_em       timestamp(6)  NULL,
    cancelada_em        timestamp(6)  NULL,
    motivo_cancelamento varchar(255)  NULL
);

-- The NF-e event's stream key is found through its sale, and a sale's documents are looked up by sale.
CREATE INDEX IF NOT EXISTS ix_nfe_documento_venda ON nfe_documento (venda_id);
