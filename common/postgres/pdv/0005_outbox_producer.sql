-- Outbox producer (PostgreSQL): triggers that write each business event into sync_outbox in the same
-- transaction as the write that causes it, so that POS programs that cannot be changed still feed push-service.
-- Same events, payloads and event ids as sqlserver/pdv/0005_outbox_producer.sql. Safe to run again.
--
-- Events, all in stream 'caixa:<caixa_sessao_id>' so that one cash-register session goes up in order
-- (opening, sales, bleeds, invoices, closing):
--   venda.finalizada  a venda becomes FINALIZADA (updated to it, or inserted already FINALIZADA)
--   caixa.movimento   a caixa_movimento row is inserted (ABERTURA, SANGRIA, SUPRIMENTO, FECHAMENTO)
--   nfe.autorizada    an nfe_documento becomes AUTORIZADA
--   nfe.cancelada     an nfe_documento becomes CANCELADA (stream of the NF-e's venda's session)
--
-- Payloads are JSON text with keys in a fixed order. Decimals are strings with the column's full scale
-- ("10.0000") so that no JSON reader turns them into binary floating point; timestamps are ISO-8601 without
-- a zone (the columns have none) with all 6 fractional digits; uuids are lowercase; nulls are present as null.
--
-- Row triggers fire at the end of their statement, so outbox_id follows the order of the statements within a
-- transaction, as on SQL Server. Because the venda row must exist before its items and payments (foreign
-- keys), a sale inserted already FINALIZADA, or finalised before its last payment is written, would miss
-- them. So a change to a finalised sale, its items or its payments rewrites the payload of its event as long
-- as push-service has never tried to send it (see sync_outbox_refresh_venda). From the first attempt on, the
-- payload is frozen: its bytes are the idempotency fingerprint, and the central API answers 422 to the same
-- event id with a different payload.

-- Event id: a name-based UUID (version 3: MD5 of '<event type>:<aggregate id>', RFC 4122 section 4.3) rather
-- than a random one. A sale finalised twice (FINALIZADA -> CANCELADA -> FINALIZADA) or a trigger fired again
-- yields the same id, so ON CONFLICT DO NOTHING keeps one row here, and once retention has deleted the outbox
-- row, the central inbox's permanent (pdv_id, event_id) key still recognises the repeat. The version and
-- variant bits are set because the push contract checks event ids as RFC 4122 UUIDs, which a raw MD5 is not.
-- The SQL Server producer hashes the same ASCII text and sets the same bits, so both dialects are built to
-- give the same id for the same event type and aggregate id.
CREATE OR REPLACE FUNCTION sync_event_id(p_event_type text, p_aggregate_id uuid) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT (substr(h, 1, 12) || '3' || substr(h, 14, 3)
            || substr('89ab89ab89ab89ab', position(substr(h, 17, 1) IN '0123456789abcdef'), 1)
            || substr(h, 18, 15))::uuid
    FROM (SELECT md5(p_event_type || ':' || p_aggregate_id::text) AS h) AS x
$$;

-- timestamp(6) as 'YYYY-MM-DDTHH:MI:SS.ffffff', always 6 digits; null stays null.
CREATE OR REPLACE FUNCTION sync_json_timestamp(p_value timestamp) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT to_char(p_value, 'YYYY-MM-DD"T"HH24:MI:SS.US')
$$;

-- The venda.finalizada payload of one sale as it stands now; null when the sale does not exist.
-- json_build_object keeps the keys in the order written (jsonb would sort them).
CREATE OR REPLACE FUNCTION sync_venda_finalizada_payload(p_venda_id uuid) RETURNS text
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
    SELECT json_build_object(
        'venda_id', v.venda_id::text,
        'numero', v.numero,
        'loja_id', v.loja_id,
        'pdv_id', v.pdv_id,
        'caixa_sessao_id', v.caixa_sessao_id::text,
        'cliente_id', v.cliente_id::text,
        'status', v.status,
        'subtotal', v.subtotal::text,
        'desconto', v.desconto::text,
        'total', v.total::text,
        'iniciada_em', sync_json_timestamp(v.iniciada_em),
        'finalizada_em', sync_json_timestamp(v.finalizada_em),
        'itens', COALESCE((
            SELECT json_agg(json_build_object(
                       'item_numero', i.item_numero,
                       'produto_id', i.produto_id,
                       'descricao', i.descricao,
                       'quantidade', i.quantidade::text,
                       'preco_unitario', i.preco_unitario::text,
                       'desconto', i.desconto::text,
                       'total', i.total::text
                   ) ORDER BY i.item_numero)
            FROM venda_item i
            WHERE i.venda_id = v.venda_id), '[]'::json),
        'pagamentos', COALESCE((
            SELECT json_agg(json_build_object(
                       'sequencia', p.sequencia,
                       'forma_pagamento_id', p.forma_pagamento_id,
                       'valor', p.valor::text,
                       'troco', p.troco::text
                   ) ORDER BY p.sequencia)
            FROM venda_pagamento p
            WHERE p.venda_id = v.venda_id), '[]'::json)
    )::text
    FROM venda v
    WHERE v.venda_id = p_venda_id
$$;

-- The payload of an nfe.autorizada / nfe.cancelada event: the document as it stands now, xml included.
CREATE OR REPLACE FUNCTION sync_nfe_payload(p_nfe_id uuid) RETURNS text
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
    SELECT json_build_object(
        'nfe_id', n.nfe_id::text,
        'venda_id', n.venda_id::text,
        'chave', n.chave,
        'serie', n.serie,
        'numero', n.numero,
        'status', n.status,
        'protocolo', n.protocolo,
        'autorizada_em', sync_json_timestamp(n.autorizada_em),
        'cancelada_em', sync_json_timestamp(n.cancelada_em),
        'motivo_cancelamento', n.motivo_cancelamento,
        'xml', n.xml
    )::text
    FROM nfe_documento n
    WHERE n.nfe_id = p_nfe_id
$$;

-- Rewrites the payload of an event that push-service has never tried to send: not sent, not leased, never
-- answered. Within the writing transaction the row is not even visible to the worker. A row being claimed
-- right now is locked; this waits for the claim and then leaves the row alone, as it is leased by then.
CREATE OR REPLACE FUNCTION sync_outbox_refresh(p_event_id uuid, p_payload text) RETURNS void
LANGUAGE sql
SET search_path FROM CURRENT
AS $$
    UPDATE sync_outbox
       SET payload = p_payload
     WHERE event_id = p_event_id
       AND p_payload IS NOT NULL
       AND sent_at IS NULL
       AND lease_owner IS NULL
       AND lease_until IS NULL
       AND attempts = 0
       AND last_status IS NULL
       AND last_error IS NULL
$$;

-- Refreshes the venda.finalizada event of a sale that is FINALIZADA now, if it still may change.
CREATE OR REPLACE FUNCTION sync_outbox_refresh_venda(p_venda_id uuid) RETURNS void
LANGUAGE sql
SET search_path FROM CURRENT
AS $$
    SELECT sync_outbox_refresh(sync_event_id('venda.finalizada', v.venda_id), sync_venda_finalizada_payload(v.venda_id))
    FROM venda v
    WHERE v.venda_id = p_venda_id AND v.status = 'FINALIZADA'
$$;

-- venda: the trigger's WHEN lets only FINALIZADA rows in. A row that was not FINALIZADA before (or is new)
-- produces the event unless it exists already (finalised again, or the trigger replayed); any other write to
-- a finalised sale only refreshes its event. Only a status change may queue the id again once retention has
-- deleted the row: an edit of an old sale must not send its finalisation a second time.
-- search_path is pinned to the one in force here, so the outbox is found whatever the writer's search_path is.
CREATE OR REPLACE FUNCTION sync_outbox_venda() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    IF TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'FINALIZADA' THEN
        INSERT INTO sync_outbox (event_id, event_type, stream_key, payload)
        VALUES (sync_event_id('venda.finalizada', NEW.venda_id), 'venda.finalizada', 'caixa:' || NEW.caixa_sessao_id::text,
                sync_venda_finalizada_payload(NEW.venda_id))
        ON CONFLICT (event_id) DO NOTHING;
        IF FOUND THEN
            RETURN NULL;
        END IF;
    END IF;
    PERFORM sync_outbox_refresh_venda(NEW.venda_id);
    RETURN NULL;
END
$$;

-- venda_item / venda_pagamento: a child row written after the sale was finalised (or moved between sales).
CREATE OR REPLACE FUNCTION sync_outbox_venda_detalhe() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM sync_outbox_refresh_venda(NEW.venda_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.venda_id IS DISTINCT FROM NEW.venda_id) THEN
        PERFORM sync_outbox_refresh_venda(OLD.venda_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION sync_outbox_caixa_movimento() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    INSERT INTO sync_outbox (event_id, event_type, stream_key, payload)
    SELECT sync_event_id('caixa.movimento', NEW.caixa_movimento_id), 'caixa.movimento', 'caixa:' || NEW.caixa_sessao_id::text,
           json_build_object(
               'caixa_movimento_id', NEW.caixa_movimento_id::text,
               'caixa_sessao_id', NEW.caixa_sessao_id::text,
               'loja_id', s.loja_id,
               'pdv_id', s.pdv_id,
               'operador_id', s.operador_id,
               'tipo', NEW.tipo,
               'valor', NEW.valor::text,
               'ocorrido_em', sync_json_timestamp(NEW.ocorrido_em),
               'observacao', NEW.observacao
           )::text
    FROM caixa_sessao s
    WHERE s.caixa_sessao_id = NEW.caixa_sessao_id
    ON CONFLICT (event_id) DO NOTHING;
    RETURN NULL;
END
$$;

-- nfe_documento: the trigger's WHEN lets only AUTORIZADA / CANCELADA rows in. A status change produces the
-- event for the new status unless it exists already; any other write (protocolo or xml written after the
-- status) only refreshes it.
CREATE OR REPLACE FUNCTION sync_outbox_nfe() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    v_event_type text := CASE NEW.status WHEN 'AUTORIZADA' THEN 'nfe.autorizada' ELSE 'nfe.cancelada' END;
BEGIN
    IF TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status THEN
        INSERT INTO sync_outbox (event_id, event_type, stream_key, payload)
        SELECT sync_event_id(v_event_type, NEW.nfe_id), v_event_type, 'caixa:' || v.caixa_sessao_id::text, sync_nfe_payload(NEW.nfe_id)
        FROM venda v
        WHERE v.venda_id = NEW.venda_id
        ON CONFLICT (event_id) DO NOTHING;
        IF FOUND THEN
            RETURN NULL;
        END IF;
    END IF;
    PERFORM sync_outbox_refresh(sync_event_id(v_event_type, NEW.nfe_id), sync_nfe_payload(NEW.nfe_id));
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS sync_outbox_venda ON venda;
CREATE TRIGGER sync_outbox_venda AFTER INSERT OR UPDATE ON venda
    FOR EACH ROW WHEN (NEW.status = 'FINALIZADA') EXECUTE FUNCTION sync_outbox_venda();

DROP TRIGGER IF EXISTS sync_outbox_venda_item ON venda_item;
CREATE TRIGGER sync_outbox_venda_item AFTER INSERT OR UPDATE OR DELETE ON venda_item
    FOR EACH ROW EXECUTE FUNCTION sync_outbox_venda_detalhe();

DROP TRIGGER IF EXISTS sync_outbox_venda_pagamento ON venda_pagamento;
CREATE TRIGGER sync_outbox_venda_pagamento AFTER INSERT OR UPDATE OR DELETE ON venda_pagamento
    FOR EACH ROW EXECUTE FUNCTION sync_outbox_venda_detalhe();

DROP TRIGGER IF EXISTS sync_outbox_caixa_movimento ON caixa_movimento;
CREATE TRIGGER sync_outbox_caixa_movimento AFTER INSERT ON caixa_movimento
    FOR EACH ROW EXECUTE FUNCTION sync_outbox_caixa_movimento();

DROP TRIGGER IF EXISTS sync_outbox_nfe ON nfe_documento;
CREATE TRIGGER sync_outbox_nfe AFTER INSERT OR UPDATE ON nfe_documento
    FOR EACH ROW WHEN (NEW.status IN ('AUTORIZADA', 'CANCELADA')) EXECUTE FUNCTION sync_outbox_nfe();
