-- The back office (Escritório) writing through central-api (PostgreSQL). Same objects as
-- mssql/central/0015_backoffice.sql. Safe to run again.

-- Back-office credentials, issued by `central-api backoffice add <name>`. Apart from sync_pdv: a PDV token is
-- never a back-office one, nor the reverse. Only the token's sha256 hex is stored.
CREATE TABLE IF NOT EXISTS sync_backoffice_client (
    name       varchar(64) NOT NULL CONSTRAINT pk_sync_backoffice_client PRIMARY KEY,
    token_hash char(64)    NOT NULL CONSTRAINT uq_sync_backoffice_client_token_hash UNIQUE,
    active     boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per Idempotency-Key of a back-office write, stored in the write's own transaction: a replay with the
-- same body answers the stored response, the same key with another body is refused. body_hash is the sha256
-- hex of the request body as sent.
CREATE TABLE IF NOT EXISTS sync_backoffice_request (
    client_name     varchar(64)  NOT NULL,
    idempotency_key varchar(128) NOT NULL,
    operation       varchar(32)  NOT NULL,
    body_hash       char(64)     NOT NULL,
    status          integer      NOT NULL,
    response        text         NOT NULL,
    created_at      timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT pk_sync_backoffice_request PRIMARY KEY (client_name, idempotency_key)
);

-- The purchases and write-offs whose items estoque_movimento holds: one row per document, so that a document
-- id is applied once whatever key it is sent under.
CREATE TABLE IF NOT EXISTS estoque_documento (
    origem       varchar(16)  NOT NULL CONSTRAINT ck_estoque_documento_origem CHECK (origem IN ('purchase', 'write-off')),
    documento_id varchar(64)  NOT NULL,
    loja_id      integer      NOT NULL CONSTRAINT fk_estoque_documento_loja REFERENCES loja (loja_id),
    motivo       varchar(200) NULL,
    registrado_em timestamp(6) NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT pk_estoque_documento PRIMARY KEY (origem, documento_id)
);
