-- NF-e (electronic invoice) documents issued by the PDV for its sales. Same table as
-- postgres/pdv/0004_nfe.sql. push-service sends nfe.autorizada / nfe.cancelada events up through sync_outbox
-- (see 0005_outbox_producer.sql). Safe to run again.

IF OBJECT_ID(N'dbo.nfe_documento', N'U') IS NULL
CREATE TABLE dbo.nfe_documento (
    nfe_id              uniqueidentifier NOT NULL CONSTRAINT PK_nfe_documento PRIMARY KEY,
    venda_id            uniqueidentifier NOT NULL CONSTRAINT FK_nfe_documento_venda REFERENCES dbo.venda (venda_id),
    -- The 44-digit access key identifies the document at SEFAZ: one row per key.
    chave               char(44)         NOT NULL CONSTRAINT UQ_nfe_documento_chave UNIQUE,
    serie               int              NOT NULL,
    numero              int              NOT NULL,
    status              varchar(12)      NOT NULL CONSTRAINT CK_nfe_documento_status CHECK (status IN ('PENDENTE', 'AUTORIZADA', 'CANCELADA')),
    -- The signed XML as authorised (typically 5-50 KB); kept verbatim because it is the fiscal record.
    xml                 nvarchar(max)    NULL,
    protocolo           varchar(20)      NULL,
    autorizada_em       datetime2(7)     NULL,
    cancelada_em        datetime2(7)     NULL,
    motivo_cancelamento nvarchar(255)    NULL
);
GO

-- The NF-e event's stream key is found through its sale, and a sale's documents are looked up by sale.
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.nfe_documento') AND name = N'IX_nfe_documento_venda')
CREATE INDEX IX_nfe_documento_venda ON dbo.nfe_documento (venda_id);
GO
