-- Outbox producer (SQL Server): triggers that write each business event into dbo.sync_outbox in the same
-- transaction as the write that causes it, so that POS programs that cannot be changed still feed push-service.
-- Same events, payloads and event ids as postgres/pdv/0005_outbox_producer.sql. Safe to run again.
--
-- Events, all in stream 'caixa:<caixa_sessao_id>' so that one cash-register session goes up in order
-- (opening, sales, bleeds, invoices, closing):
--   venda.finalizada  a venda becomes FINALIZADA (updated to it, or inserted already FINALIZADA)
--   caixa.movimento   a caixa_movimento row is inserted (ABERTURA, SANGRIA, SUPRIMENTO, FECHAMENTO)
--   nfe.autorizada    an nfe_documento becomes AUTORIZADA
--   nfe.cancelada     an nfe_documento becomes CANCELADA (stream of the NF-e's venda's session)
--
-- Payloads are JSON text (FOR JSON) with keys in a fixed order. Decimals are strings with the column's full
-- scale ("10.0000") so that no JSON reader turns them into binary floating point; datetime2(7) values are
-- ISO-8601 without a zone with all 7 fractional digits; uuids are lowercase; nulls are present as null
-- (INCLUDE_NULL_VALUES). FOR JSON escapes '/' as '\/', which JSON readers decode back to '/'.
--
-- The triggers are set-based over inserted/deleted, so a statement touching many rows writes one event per
-- row that qualifies. Because the venda row must exist before its items and payments (foreign keys), a sale
-- inserted already FINALIZADA, or finalised before its last payment is written, would miss them; SQL Server
-- has no deferred triggers. So a change to a finalised sale, its items or its payments rewrites the payload of
-- its event as long as push-service has never tried to send it (the "never attempted" condition below). From
-- the first attempt on, the payload is frozen: its bytes are the idempotency fingerprint, and the central API
-- answers 422 to the same event id with a different payload.
--
-- For the POS program's sake: SET NOCOUNT ON keeps the triggers' own row counts out of what the client reads
-- as "rows affected". A trigger makes SQL Server refuse an INSERT/UPDATE on that table with an OUTPUT clause
-- that has no INTO (error 334): a program that does that needs OUTPUT ... INTO before this script is applied.
-- An error inside a trigger rolls the whole transaction back, so a sale is never kept without its event.

-- Event id: a name-based UUID (version 3: MD5 of '<event type>:<aggregate id>', RFC 4122 section 4.3) rather
-- than a random one. A sale finalised twice (FINALIZADA -> CANCELADA -> FINALIZADA) or a trigger fired again
-- yields the same id, so the NOT EXISTS guard keeps one row here, and once retention has deleted the outbox
-- row, the central inbox's permanent (pdv_id, event_id) key still recognises the repeat. The version and
-- variant bits are set because the push contract checks event ids as RFC 4122 UUIDs, which a raw MD5 is not.
-- The hashed text is varchar (single-byte ASCII, like PostgreSQL's UTF-8 here) and the uuid is built from its
-- text form, not with CAST(binary AS uniqueidentifier), whose byte order would reverse the first three
-- groups: so both dialects are built to give the same id for the same event type and aggregate id, which
-- push-service/test/outbox-producer.test.ts checks against one expected value on every backend it runs on.
-- An inline table-valued function, used with CROSS APPLY, is expanded into the calling statement.
CREATE OR ALTER FUNCTION dbo.sync_event_id (@event_type varchar(64), @aggregate_id uniqueidentifier)
RETURNS TABLE
AS
RETURN
    SELECT CAST(
               SUBSTRING(x.h, 1, 8) + '-' + SUBSTRING(x.h, 9, 4) + '-3' + SUBSTRING(x.h, 14, 3) + '-'
               + SUBSTRING('89AB89AB89AB89AB', CHARINDEX(SUBSTRING(x.h, 17, 1), '0123456789ABCDEF'), 1)
               + SUBSTRING(x.h, 18, 3) + '-' + SUBSTRING(x.h, 21, 12)
           AS uniqueidentifier) AS event_id
    FROM (
        -- Style 2: hexadecimal digits without the 0x prefix.
        SELECT CONVERT(char(32), HASHBYTES('MD5', @event_type + ':' + LOWER(CONVERT(varchar(36), @aggregate_id))), 2) AS h
    ) AS x;
GO

-- Timestamps: STUFF(CONVERT(varchar(27), x, 121), 11, 1, 'T'), meant to give 'yyyy-mm-ddThh:mi:ss.fffffff'.
-- Style 126 is documented to leave the fraction out when it is zero, so a whole-second time would come out
-- in another shape; style 121 (the default style for datetime2) writes the type's fractional digits. The
-- exact strings, whole seconds included, are checked by push-service/test/outbox-producer.test.ts whenever it
-- runs against SQL Server.

-- The venda.finalizada payload of one sale as it stands now; no row when the sale does not exist. The arrays
-- are nested FOR JSON queries wrapped in JSON_QUERY so that they are embedded as JSON, not as escaped
-- strings, and ISNULL(..., '[]') because FOR JSON over no rows gives NULL, not an empty array.
CREATE OR ALTER FUNCTION dbo.sync_venda_finalizada_payload (@venda_id uniqueidentifier)
RETURNS TABLE
AS
RETURN
    SELECT (
        SELECT LOWER(CONVERT(varchar(36), v.venda_id)) AS venda_id,
               v.numero AS numero,
               v.loja_id AS loja_id,
               v.pdv_id AS pdv_id,
               LOWER(CONVERT(varchar(36), v.caixa_sessao_id)) AS caixa_sessao_id,
               LOWER(CONVERT(varchar(36), v.cliente_id)) AS cliente_id,
               v.status AS status,
               CAST(v.subtotal AS varchar(40)) AS subtotal,
               CAST(v.desconto AS varchar(40)) AS desconto,
               CAST(v.total AS varchar(40)) AS total,
               STUFF(CONVERT(varchar(27), v.iniciada_em, 121), 11, 1, 'T') AS iniciada_em,
               STUFF(CONVERT(varchar(27), v.finalizada_em, 121), 11, 1, 'T') AS finalizada_em,
               JSON_QUERY(ISNULL((
                   SELECT i.item_numero AS item_numero,
                          i.produto_id AS produto_id,
                          i.descricao AS descricao,
                          CAST(i.quantidade AS varchar(40)) AS quantidade,
                          CAST(i.preco_unitario AS varchar(40)) AS preco_unitario,
                          CAST(i.desconto AS varchar(40)) AS desconto,
                          CAST(i.total AS varchar(40)) AS total
                   FROM dbo.venda_item AS i
                   WHERE i.venda_id = v.venda_id
                   ORDER BY i.item_numero
                   FOR JSON PATH, INCLUDE_NULL_VALUES
               ), N'[]')) AS itens,
               JSON_QUERY(ISNULL((
                   SELECT p.sequencia AS sequencia,
                          p.forma_pagamento_id AS forma_pagamento_id,
                          CAST(p.valor AS varchar(40)) AS valor,
                          CAST(p.troco AS varchar(40)) AS troco
                   FROM dbo.venda_pagamento AS p
                   WHERE p.venda_id = v.venda_id
                   ORDER BY p.sequencia
                   FOR JSON PATH, INCLUDE_NULL_VALUES
               ), N'[]')) AS pagamentos
        FOR JSON PATH, INCLUDE_NULL_VALUES, WITHOUT_ARRAY_WRAPPER
    ) AS payload
    FROM dbo.venda AS v
    WHERE v.venda_id = @venda_id;
GO

-- The payload of an nfe.autorizada / nfe.cancelada event: the document as it stands now, xml included.
CREATE OR ALTER FUNCTION dbo.sync_nfe_payload (@nfe_id uniqueidentifier)
RETURNS TABLE
AS
RETURN
    SELECT (
        SELECT LOWER(CONVERT(varchar(36), n.nfe_id)) AS nfe_id,
               LOWER(CONVERT(varchar(36), n.venda_id)) AS venda_id,
               n.chave AS chave,
               n.serie AS serie,
               n.numero AS numero,
               n.status AS status,
               n.protocolo AS protocolo,
               STUFF(CONVERT(varchar(27), n.autorizada_em, 121), 11, 1, 'T') AS autorizada_em,
               STUFF(CONVERT(varchar(27), n.cancelada_em, 121), 11, 1, 'T') AS cancelada_em,
               n.motivo_cancelamento AS motivo_cancelamento,
               n.xml AS xml
        FOR JSON PATH, INCLUDE_NULL_VALUES, WITHOUT_ARRAY_WRAPPER
    ) AS payload
    FROM dbo.nfe_documento AS n
    WHERE n.nfe_id = @nfe_id;
GO

-- venda: every write to a FINALIZADA sale refreshes its event while that was never attempted (not sent, not
-- leased, never answered; within the writing transaction the row is not even visible to the worker, which
-- claims with READPAST). Then rows that became FINALIZADA in this statement (inserted so, or updated from
-- another status) get their event unless it exists already (finalised again, or the trigger replayed). The
-- refresh runs first so that it never rebuilds a payload written a moment ago. Only a status change may queue
-- the id again once retention has deleted the row: an edit of an old sale must not send it a second time.
-- UPDLOCK, HOLDLOCK on the NOT EXISTS makes two writers of one event id queue up instead of the second one
-- failing on the unique key and losing its sale. The ORDER BY fixes the order in which outbox_id is given to
-- the rows of one statement.
CREATE OR ALTER TRIGGER dbo.sync_outbox_venda ON dbo.venda
AFTER INSERT, UPDATE
AS
BEGIN
    SET NOCOUNT ON;
    IF NOT EXISTS (SELECT 1 FROM inserted WHERE status = 'FINALIZADA') RETURN;

    UPDATE o
    SET payload = p.payload
    FROM inserted AS i
    CROSS APPLY dbo.sync_event_id('venda.finalizada', i.venda_id) AS e
    JOIN dbo.sync_outbox AS o ON o.event_id = e.event_id
    CROSS APPLY dbo.sync_venda_finalizada_payload(i.venda_id) AS p
    WHERE i.status = 'FINALIZADA'
      AND o.sent_at IS NULL AND o.lease_owner IS NULL AND o.lease_until IS NULL
      AND o.attempts = 0 AND o.last_status IS NULL AND o.last_error IS NULL;

    INSERT INTO dbo.sync_outbox (event_id, event_type, stream_key, payload)
    SELECT e.event_id, 'venda.finalizada', N'caixa:' + LOWER(CONVERT(varchar(36), i.caixa_sessao_id)), p.payload
    FROM inserted AS i
    LEFT JOIN deleted AS d ON d.venda_id = i.venda_id
    CROSS APPLY dbo.sync_event_id('venda.finalizada', i.venda_id) AS e
    CROSS APPLY dbo.sync_venda_finalizada_payload(i.venda_id) AS p
    WHERE i.status = 'FINALIZADA'
      AND (d.venda_id IS NULL OR d.status <> 'FINALIZADA')
      AND NOT EXISTS (SELECT 1 FROM dbo.sync_outbox AS o WITH (UPDLOCK, HOLDLOCK) WHERE o.event_id = e.event_id)
    ORDER BY i.numero, i.venda_id;
END;
GO

-- venda_item: an item written, changed or removed after its sale was finalised.
CREATE OR ALTER TRIGGER dbo.sync_outbox_venda_item ON dbo.venda_item
AFTER INSERT, UPDATE, DELETE
AS
BEGIN
    SET NOCOUNT ON;
    UPDATE o
    SET payload = p.payload
    FROM (SELECT venda_id FROM inserted UNION SELECT venda_id FROM deleted) AS c
    JOIN dbo.venda AS v ON v.venda_id = c.venda_id
    CROSS APPLY dbo.sync_event_id('venda.finalizada', c.venda_id) AS e
    JOIN dbo.sync_outbox AS o ON o.event_id = e.event_id
    CROSS APPLY dbo.sync_venda_finalizada_payload(c.venda_id) AS p
    WHERE v.status = 'FINALIZADA'
      AND o.sent_at IS NULL AND o.lease_owner IS NULL AND o.lease_until IS NULL
      AND o.attempts = 0 AND o.last_status IS NULL AND o.last_error IS NULL;
END;
GO

-- venda_pagamento: a payment written, changed or removed after its sale was finalised.
CREATE OR ALTER TRIGGER dbo.sync_outbox_venda_pagamento ON dbo.venda_pagamento
AFTER INSERT, UPDATE, DELETE
AS
BEGIN
    SET NOCOUNT ON;
    UPDATE o
    SET payload = p.payload
    FROM (SELECT venda_id FROM inserted UNION SELECT venda_id FROM deleted) AS c
    JOIN dbo.venda AS v ON v.venda_id = c.venda_id
    CROSS APPLY dbo.sync_event_id('venda.finalizada', c.venda_id) AS e
    JOIN dbo.sync_outbox AS o ON o.event_id = e.event_id
    CROSS APPLY dbo.sync_venda_finalizada_payload(c.venda_id) AS p
    WHERE v.status = 'FINALIZADA'
      AND o.sent_at IS NULL AND o.lease_owner IS NULL AND o.lease_until IS NULL
      AND o.attempts = 0 AND o.last_status IS NULL AND o.last_error IS NULL;
END;
GO

-- caixa_movimento: every inserted row is an event; loja, PDV and operator come from its session.
CREATE OR ALTER TRIGGER dbo.sync_outbox_caixa_movimento ON dbo.caixa_movimento
AFTER INSERT
AS
BEGIN
    SET NOCOUNT ON;
    INSERT INTO dbo.sync_outbox (event_id, event_type, stream_key, payload)
    SELECT e.event_id, 'caixa.movimento', N'caixa:' + LOWER(CONVERT(varchar(36), i.caixa_sessao_id)), j.payload
    FROM inserted AS i
    JOIN dbo.caixa_sessao AS s ON s.caixa_sessao_id = i.caixa_sessao_id
    CROSS APPLY dbo.sync_event_id('caixa.movimento', i.caixa_movimento_id) AS e
    CROSS APPLY (
        SELECT (
            SELECT LOWER(CONVERT(varchar(36), i.caixa_movimento_id)) AS caixa_movimento_id,
                   LOWER(CONVERT(varchar(36), i.caixa_sessao_id)) AS caixa_sessao_id,
                   s.loja_id AS loja_id,
                   s.pdv_id AS pdv_id,
                   s.operador_id AS operador_id,
                   i.tipo AS tipo,
                   CAST(i.valor AS varchar(40)) AS valor,
                   STUFF(CONVERT(varchar(27), i.ocorrido_em, 121), 11, 1, 'T') AS ocorrido_em,
                   i.observacao AS observacao
            FOR JSON PATH, INCLUDE_NULL_VALUES, WITHOUT_ARRAY_WRAPPER
        ) AS payload
    ) AS j
    WHERE NOT EXISTS (SELECT 1 FROM dbo.sync_outbox AS o WITH (UPDLOCK, HOLDLOCK) WHERE o.event_id = e.event_id)
    ORDER BY i.ocorrido_em, i.caixa_movimento_id;
END;
GO

-- nfe_documento: as for venda, every write to an AUTORIZADA / CANCELADA document refreshes the event of its
-- current status while that was never attempted (protocolo or xml written after the status), then a status
-- change gets the event for the new status unless it exists already.
CREATE OR ALTER TRIGGER dbo.sync_outbox_nfe ON dbo.nfe_documento
AFTER INSERT, UPDATE
AS
BEGIN
    SET NOCOUNT ON;
    IF NOT EXISTS (SELECT 1 FROM inserted WHERE status IN ('AUTORIZADA', 'CANCELADA')) RETURN;

    UPDATE o
    SET payload = p.payload
    FROM inserted AS i
    CROSS APPLY (SELECT CAST(CASE i.status WHEN 'AUTORIZADA' THEN 'nfe.autorizada' ELSE 'nfe.cancelada' END AS varchar(64)) AS event_type) AS t
    CROSS APPLY dbo.sync_event_id(t.event_type, i.nfe_id) AS e
    JOIN dbo.sync_outbox AS o ON o.event_id = e.event_id
    CROSS APPLY dbo.sync_nfe_payload(i.nfe_id) AS p
    WHERE i.status IN ('AUTORIZADA', 'CANCELADA')
      AND o.sent_at IS NULL AND o.lease_owner IS NULL AND o.lease_until IS NULL
      AND o.attempts = 0 AND o.last_status IS NULL AND o.last_error IS NULL;

    INSERT INTO dbo.sync_outbox (event_id, event_type, stream_key, payload)
    SELECT e.event_id, t.event_type, N'caixa:' + LOWER(CONVERT(varchar(36), v.caixa_sessao_id)), p.payload
    FROM inserted AS i
    LEFT JOIN deleted AS d ON d.nfe_id = i.nfe_id
    JOIN dbo.venda AS v ON v.venda_id = i.venda_id
    CROSS APPLY (SELECT CAST(CASE i.status WHEN 'AUTORIZADA' THEN 'nfe.autorizada' ELSE 'nfe.cancelada' END AS varchar(64)) AS event_type) AS t
    CROSS APPLY dbo.sync_event_id(t.event_type, i.nfe_id) AS e
    CROSS APPLY dbo.sync_nfe_payload(i.nfe_id) AS p
    WHERE i.status IN ('AUTORIZADA', 'CANCELADA')
      AND (d.nfe_id IS NULL OR d.status <> i.status)
      AND NOT EXISTS (SELECT 1 FROM dbo.sync_outbox AS o WITH (UPDLOCK, HOLDLOCK) WHERE o.event_id = e.event_id)
    ORDER BY i.serie, i.numero, i.nfe_id;
END;
GO
