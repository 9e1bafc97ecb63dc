-- sync_payload_of fails closed with a clear message (PostgreSQL). Same step as
-- mssql/central/0009_check_payload_fail_closed.sql. Replaces the function of 0004_event_handlers.sql, which an
-- existing database has applied already. Safe to run again.
--
-- Here the checks already refused an unknown caller: with no row in sync_pdv the caller's loja is NULL, and
-- `loja_id IS DISTINCT FROM NULL` is true, so the event was rejected, with the message "belongs to loja <NULL>".
-- On SQL Server the same check, written with <>, let it through; its 0009 refuses it, and this one gives the
-- same message in both dialects: an unknown caller (NULL pdv_id, or no loja) is refused before anything is
-- compared. The pdv_id comparison here was already exact (text equality, no case folding, no trailing-space
-- padding), which SQL Server's 0009 now matches.
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
    -- Who is calling decides what the payload may say; without a known caller nothing can be checked.
    -- A deactivated PDV counts as unknown too: its token may still be cached by central-api for a few seconds.
    SELECT loja_id INTO caller_loja FROM sync_pdv WHERE pdv_id = p_pdv_id AND active;
    IF p_pdv_id IS NULL OR caller_loja IS NULL THEN
        RAISE EXCEPTION '% payload cannot be checked: PDV "%" is not an active PDV of sync_pdv, so its loja is unknown', what, p_pdv_id;
    END IF;
    IF sync_required(doc, 'pdv_id', what) IS DISTINCT FROM p_pdv_id THEN
        RAISE EXCEPTION '% payload names pdv_id "%", but the caller is "%"', what, doc ->> 'pdv_id', p_pdv_id;
    END IF;
    IF sync_required(doc, 'loja_id', what)::integer IS DISTINCT FROM caller_loja THEN
        RAISE EXCEPTION '% payload names loja_id %, but PDV "%" belongs to loja %', what, doc ->> 'loja_id', p_pdv_id, caller_loja;
    END IF;
    RETURN doc;
END
$$;
