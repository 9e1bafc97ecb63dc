-- The back office (Escritório) writing through central-api (SQL Server). Same objects as
-- postgres/central/0015_backoffice.sql, which explains them. Re-runnable by hand: the creations check first.

IF OBJECT_ID(N'dbo.sync_backoffice_client', N'U') IS NULL
CREATE TABLE dbo.sync_backoffice_client (
    name       varchar(64)  NOT NULL CONSTRAINT PK_sync_backoffice_client PRIMARY KEY,
    token_hash char(64)     NOT NULL CONSTRAINT UQ_sync_backoffice_client_token_hash UNIQUE,
    active     bit          NOT NULL CONSTRAINT DF_sync_backoffice_client_active DEFAULT (1),
    created_at datetime2(3) NOT NULL CONSTRAINT DF_sync_backoffice_client_created_at DEFAULT (SYSUTCDATETIME())
);
GO

IF OBJECT_ID(N'dbo.sync_backoffice_request', N'U') IS NULL
CREATE TABLE dbo.sync_backoffice_request (
    client_name     varchar(64)   NOT NULL,
    idempotency_key varchar(128)  NOT NULL,
    operation       varchar(32)   NOT NULL,
    body_hash       char(64)      NOT NULL,
    status          int           NOT NULL,
    response        nvarchar(max) NOT NULL,
    created_at      datetime2(3)  NOT NULL CONSTRAINT DF_sync_backoffice_request_created_at DEFAULT (SYSUTCDATETIME()),
    CONSTRAINT PK_sync_backoffice_request PRIMARY KEY (client_name, idempotency_key)
);
GO

IF OBJECT_ID(N'dbo.estoque_documento', N'U') IS NULL
CREATE TABLE dbo.estoque_documento (
    origem       varchar(16)   NOT NULL CONSTRAINT CK_estoque_documento_origem CHECK (origem IN ('purchase', 'write-off')),
    documento_id varchar(64)   NOT NULL,
    loja_id      int           NOT NULL CONSTRAINT FK_estoque_documento_loja REFERENCES dbo.loja (loja_id),
    motivo       nvarchar(200) NULL,
    registrado_em datetime2(7) NOT NULL CONSTRAINT DF_estoque_documento_registrado_em DEFAULT (SYSUTCDATETIME()),
    CONSTRAINT PK_estoque_documento PRIMARY KEY (origem, documento_id)
);
GO
