-- Reference event handlers on the central database (PostgreSQL). Same objects as
-- sqlserver/central/0004_event_handlers.sql. Safe to run again.
--
-- The central API calls a handler inside the transaction that stores the event in sync_inbox, once per new
-- event (never for a replay), as   SELECT sync_handle_venda($1::text, $2::varchar)   with the payload text and
-- the calling PDV's id. What a handler returns is stored in sync_inbox.result and answered again on replays.
-- An exception rejects the event (the PDV dead-letters it); its inbox row is dropped, so that the event can be
-- sent again once the cause is fixed. Map event types to handlers with EVENT_HANDLERS, e.g.
--   EVENT_HANDLERS=venda.finalizada=sync_handle_venda,caixa.movimento=sync_handle_caixa_movimento
--
-- Decimals arrive as JSON strings ("10.0000") and are cast from text straight to numeric, never through a
-- floating-point number. The payload's pdv_id must be the caller's and its loja_id the caller's loja.

-- Sales as received from the PDVs. No foreign key to the catalog: a sale is a historical record.
CREATE TABLE IF NOT EXISTS venda_central (
    venda_id        uuid          NOT NULL CONSTRAINT pk_venda_central PRIMARY KEY,
    pdv_id          varchar(32)   NOT NULL,
    loja_id         integer       NOT NULL,
    numero          integer       NOT NULL,
    caixa_sessao_id uuid          NOT NULL,
    cliente_id      uuid          NULL,
    status          varchar(12)   NOT NULL,
    subtotal        numeric(18,4) NOT NULL,
    desconto        numeric(18,4) NOT NULL,
    total           numeric(18,4) NOT NULL,
    iniciada_em     timestamp(6)  NOT NULL,
    finalizada_em   timestamp(6)  NULL,
    received_at     timestamptz   NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS venda_item_central (
    venda_id       uuid          NOT NULL CONSTRAINT fk_venda_item_central_venda REFERENCES venda_central (venda_id),
    item_numero    integer       NOT NULL,
    produto_id     integer       NOT NULL,
    descricao      varchar(200)  NOT NULL,
    quantidade     numeric(18,4) NOT NULL,
    preco_unitario numeric(18,4) NOT NULL,
    desconto       numeric(18,4) NOT NULL,
    total          numeric(18,4) NOT NULL,
    CONSTRAINT pk_venda_item_central PRIMARY KEY (venda_id, item_numero)
);

CREATE TABLE IF NOT EXISTS venda_pagamento_central (
    venda_id           uuid          NOT NULL CONSTRAINT fk_venda_pagamento_central_venda REFERENCES venda_central (venda_id),
    sequencia          integer       NOT NULL,
    forma_pagamento_id integer       NOT NULL,
    valor              numeric(18,4) NOT NULL,
    troco              numeric(18,4) NOT NULL,
    CONSTRAINT pk_venda_pagamento_central PRIMARY KEY (venda_id, sequencia)
);

CREATE TABLE IF NOT EXISTS caixa_movimento_central (
    caixa_movimento_id uuid          NOT NULL CONSTRAINT pk_caixa_movimento_central PRIMARY KEY,
    caixa_sessao_id    uuid          NOT NULL,
    pdv_id             varchar(32)   NOT NULL,
    loja_id            integer       NOT NULL,
    operador_id        integer       NOT NULL,
    tipo               varchar(12)   NOT NULL,
    valor              numeric(18,4) NOT NULL,
    ocorrido_em        timestamp(6)  NOT NULL,
    observacao         varchar(200)  NULL,
    received_at        timestamptz   NOT NULL DEFAULT now()
);

-- The value of a required member of a JSON object as text; a clear error when it is missing or null.
CREATE OR REPLACE FUNCTION sync_required(doc jsonb, member text, what text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF doc ->> member IS NULL THEN
        RAISE EXCEPTION '% is missing the required field "%"', what, member USING ERRCODE = 'P0001';
    END IF;
    RETURN doc ->> member;
END
$$;

-- The payload as a JSON object, checked to belong to the calling PDV and its loja.
CREATE OR REPLACE FUNCTION sync_payload_of(p_payload text, p_pdv_id varchar, what text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    doc jsonb;
    caller_loja integer;
BEGIN
    doc := p_payload::jsonb;
    IF jsonb_typeof(doc) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION '% payload must be a JSON object', what;
    END IF;
    IF sync_required(doc, 'pdv_id', what) IS DISTINCT FROM p_pdv_id THEN
        RAISE EXCEPTION '% payload names pdv_id "%", but the caller is "%"', what, doc ->> 'pdv_id', p_pdv_id;
    END IF;
    SELECT loja_id INTO caller_loja FROM sync_pdv WHERE pdv_id = p_pdv_id;
    IF sync_required(doc, 'loja_id', what)::integer IS DISTINCT FROM caller_loja THEN
        RAISE EXCEPTION '% payload names loja_id %, but PDV "%" belongs to loja %', what, doc ->> 'loja_id', p_pdv_id, caller_loja;
    END IF;
    RETURN doc;
END
$$;

-- venda.finalizada: the sale, its items and its payments. A venda_id seen before raises unique_violation on
-- pk_venda_central: a sale is never applied twice, whatever path it came by.
CREATE OR REPLACE FUNCTION sync_handle_venda(p_payload text, p_pdv_id varchar) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    doc jsonb := sync_payload_of(p_payload, p_pdv_id, 'venda');
    v_venda_id uuid := sync_required(doc, 'venda_id', 'venda')::uuid;
    what text := format('venda %s', v_venda_id);
    item jsonb;
    pagamento jsonb;
    n_itens integer := 0;
    n_pagamentos integer := 0;
BEGIN
    IF jsonb_typeof(doc -> 'itens') IS DISTINCT FROM 'array' OR jsonb_array_length(doc -> 'itens') = 0 THEN
        RAISE EXCEPTION '% must have a non-empty "itens" array', what;
    END IF;
    IF doc ? 'pagamentos' AND jsonb_typeof(doc -> 'pagamentos') NOT IN ('array', 'null') THEN
        RAISE EXCEPTION '% has "pagamentos" that is not an array', what;
    END IF;

    INSERT INTO venda_central (venda_id, pdv_id, loja_id, numero, caixa_sessao_id, cliente_id, status,
                               subtotal, desconto, total, iniciada_em, finalizada_em)
    VALUES (v_venda_id, p_pdv_id, (doc ->> 'loja_id')::integer,
            sync_required(doc, 'numero', what)::integer,
            sync_required(doc, 'caixa_sessao_id', what)::uuid,
            (doc ->> 'cliente_id')::uuid,
            sync_required(doc, 'status', what),
            sync_required(doc, 'subtotal', what)::numeric(18,4),
            sync_required(doc, 'desconto', what)::numeric(18,4),
            sync_required(doc, 'total', what)::numeric(18,4),
            sync_required(doc, 'iniciada_em', what)::timestamp(6),
            (doc ->> 'finalizada_em')::timestamp(6));

    FOR item IN SELECT value FROM jsonb_array_elements(doc -> 'itens') LOOP
        INSERT INTO venda_item_central (venda_id, item_numero, produto_id, descricao, quantidade, preco_unitario, desconto, total)
        VALUES (v_venda_id,
                sync_required(item, 'item_numero', what || ' item')::integer,
                sync_required(item, 'produto_id', what || ' item')::integer,
                sync_required(item, 'descricao', what || ' item'),
                sync_required(item, 'quantidade', what || ' item')::numeric(18,4),
                sync_required(item, 'preco_unitario', what || ' item')::numeric(18,4),
                sync_required(item, 'desconto', what || ' item')::numeric(18,4),
                sync_required(item, 'total', what || ' item')::numeric(18,4));
        n_itens := n_itens + 1;
    END LOOP;

    FOR pagamento IN SELECT value FROM jsonb_array_elements(coalesce(nullif(doc -> 'pagamentos', 'null'::jsonb), '[]'::jsonb)) LOOP
        INSERT INTO venda_pagamento_central (venda_id, sequencia, forma_pagamento_id, valor, troco)
        VALUES (v_venda_id,
                sync_required(pagamento, 'sequencia', what || ' pagamento')::integer,
                sync_required(pagamento, 'forma_pagamento_id', what || ' pagamento')::integer,
                sync_required(pagamento, 'valor', what || ' pagamento')::numeric(18,4),
                coalesce(pagamento ->> 'troco', '0')::numeric(18,4));
        n_pagamentos := n_pagamentos + 1;
    END LOOP;

    -- The same text as the SQL Server procedure answers, byte for byte.
    RETURN format('{"venda_id":"%s","itens":%s,"pagamentos":%s}', v_venda_id, n_itens, n_pagamentos);
END
$$;

-- caixa.movimento: one cash movement (opening, bleed, top-up, closing). A repeated id raises unique_violation.
CREATE OR REPLACE FUNCTION sync_handle_caixa_movimento(p_payload text, p_pdv_id varchar) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    doc jsonb := sync_payload_of(p_payload, p_pdv_id, 'caixa movimento');
    v_id uuid := sync_required(doc, 'caixa_movimento_id', 'caixa movimento')::uuid;
    what text := format('caixa movimento %s', v_id);
BEGIN
    INSERT INTO caixa_movimento_central (caixa_movimento_id, caixa_sessao_id, pdv_id, loja_id, operador_id, tipo, valor, ocorrido_em, observacao)
    VALUES (v_id,
            sync_required(doc, 'caixa_sessao_id', what)::uuid,
            p_pdv_id,
            (doc ->> 'loja_id')::integer,
            sync_required(doc, 'operador_id', what)::integer,
            sync_required(doc, 'tipo', what),
            sync_required(doc, 'valor', what)::numeric(18,4),
            sync_required(doc, 'ocorrido_em', what)::timestamp(6),
            doc ->> 'observacao');
    RETURN format('{"caixa_movimento_id":"%s"}', v_id);
END
$$;
