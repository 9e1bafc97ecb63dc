-- Sales reconciliation and sale cancellations on the central database (PostgreSQL). Same step as
-- mssql/central/0010_sales_reconciliation.sql, which explains them. Safe to run again.

-- Built inside the schema runner's transaction, so not CONCURRENTLY: on a large inbox it holds the inbox's
-- writes while it builds. Create it by hand first (CREATE INDEX CONCURRENTLY ...) where that matters.
CREATE INDEX IF NOT EXISTS ix_sync_inbox_pdv_received ON sync_inbox (pdv_id, received_at) INCLUDE (event_type);

-- A stored payload as JSON, or NULL when it is not JSON (the contract lets any text through): the
-- reconciliation reads fields out of payloads and must not fail on one it cannot read. SQL Server uses ISJSON.
CREATE OR REPLACE FUNCTION sync_json_or_null(p_payload text) RETURNS json
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
    RETURN p_payload::json;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION sync_handle_venda_cancelada(p_payload text, p_pdv_id varchar) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    doc jsonb := sync_payload_of(p_payload, p_pdv_id, 'venda cancelada');
    v_venda_id uuid := sync_required(doc, 'venda_id', 'venda cancelada')::uuid;
BEGIN
    PERFORM 1 FROM venda_central WHERE venda_id = v_venda_id AND pdv_id = p_pdv_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'venda % is not applied centrally: its cancellation waits for it', v_venda_id;
    END IF;
    DELETE FROM venda_item_central WHERE venda_id = v_venda_id;
    DELETE FROM venda_pagamento_central WHERE venda_id = v_venda_id;
    DELETE FROM venda_central WHERE venda_id = v_venda_id;
    -- The same text as the SQL Server procedure answers, byte for byte.
    RETURN format('{"venda_id":"%s","cancelada":true}', v_venda_id);
END
$$;
