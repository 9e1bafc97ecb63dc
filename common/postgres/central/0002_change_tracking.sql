-- Change tracking for the PostgreSQL dialect: a trigger-maintained change log that stands in for
-- SQL Server Change Tracking. Safe to run again (IF NOT EXISTS, CREATE OR REPLACE, idempotent registration).
--
-- Versions are transaction ids (xid8), not the log's sequence numbers. Sequence values are handed out when a
-- row is written, but transactions commit in any order: a reader paging by seq could serve seq 12, then see
-- seq 11 commit and skip it forever. So a change is served only once every older transaction has settled,
-- i.e. only versions below pg_snapshot_xmin(pg_current_snapshot()); nothing can appear below that bound
-- later. As bigint, a version is txid::text::bigint (the 64-bit, epoch-extended transaction id).

CREATE TABLE IF NOT EXISTS sync_change_log (
    seq        bigserial   NOT NULL CONSTRAINT pk_sync_change_log PRIMARY KEY,
    txid       xid8        NOT NULL DEFAULT pg_current_xact_id(),
    table_name text        NOT NULL,
    pk         jsonb       NOT NULL, -- key columns only, as {"column": value}; the reader joins back for the row
    op         char(1)     NOT NULL CONSTRAINT ck_sync_change_log_op CHECK (op IN ('I', 'U', 'D')),
    changed_at timestamptz NOT NULL DEFAULT now()
);

-- Pages in version order: (txid, seq) is a total order that only grows below the served bound.
CREATE INDEX IF NOT EXISTS ix_sync_change_log_txid ON sync_change_log (txid, seq);
-- Deltas of one table.
CREATE INDEX IF NOT EXISTS ix_sync_change_log_table ON sync_change_log (table_name, txid);

-- One row per tracked table. min_valid_version plays CHANGE_TRACKING_MIN_VALID_VERSION: the retention
-- cleanup raises it when it deletes old change-log rows, and a client whose checkpoint is below it must
-- re-initialise the table from a snapshot.
CREATE TABLE IF NOT EXISTS sync_change_tracking (
    table_name        text   NOT NULL CONSTRAINT pk_sync_change_tracking PRIMARY KEY,
    key_columns       text[] NOT NULL,
    min_valid_version bigint NOT NULL DEFAULT 0
);

-- Central-side settings read by the sync code.
CREATE TABLE IF NOT EXISTS sync_settings (
    name  text NOT NULL CONSTRAINT pk_sync_settings PRIMARY KEY,
    value text NOT NULL
);

-- The counterpart of SQL Server's CHANGE_RETENTION. DO NOTHING keeps a value a DBA has changed since.
INSERT INTO sync_settings (name, value) VALUES ('change_retention_days', '7')
ON CONFLICT (name) DO NOTHING;

-- Row trigger: TG_ARGV holds the key column names. Logs keys only, like Change Tracking.
-- search_path is pinned to the one in force here, so the log is found whatever the writer's search_path is.
CREATE OR REPLACE FUNCTION sync_track_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    new_pk jsonb;
    old_pk jsonb;
BEGIN
    IF TG_OP <> 'DELETE' THEN
        SELECT jsonb_object_agg(col, to_jsonb(NEW) -> col) INTO new_pk FROM unnest(TG_ARGV) AS col;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        SELECT jsonb_object_agg(col, to_jsonb(OLD) -> col) INTO old_pk FROM unnest(TG_ARGV) AS col;
    END IF;

    IF TG_OP = 'UPDATE' AND new_pk = old_pk THEN
        INSERT INTO sync_change_log (table_name, pk, op) VALUES (TG_TABLE_NAME, new_pk, 'U');
    ELSE
        -- A replica keyed by the primary key sees a key change as the old row leaving and a new one arriving.
        IF old_pk IS NOT NULL THEN
            INSERT INTO sync_change_log (table_name, pk, op) VALUES (TG_TABLE_NAME, old_pk, 'D');
        END IF;
        IF new_pk IS NOT NULL THEN
            INSERT INTO sync_change_log (table_name, pk, op) VALUES (TG_TABLE_NAME, new_pk, 'I');
        END IF;
    END IF;
    RETURN NULL;
END
$$;

-- (Re)creates the tracking trigger on a table and registers it; running it again changes nothing.
CREATE OR REPLACE FUNCTION sync_enable_tracking(p_table regclass, p_key_columns text[]) RETURNS void
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    v_table_name  text;
    v_missing     text;
    v_had_trigger boolean;
    v_has_rows    boolean;
BEGIN
    IF coalesce(cardinality(p_key_columns), 0) = 0 THEN
        RAISE EXCEPTION 'sync_enable_tracking(%): no key columns given', p_table;
    END IF;
    SELECT string_agg(col, ', ') INTO v_missing
      FROM unnest(p_key_columns) AS col
     WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                        WHERE a.attrelid = p_table AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped);
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION 'sync_enable_tracking(%): no column named %', p_table, v_missing;
    END IF;

    -- Unqualified, as TG_TABLE_NAME is in the change log.
    SELECT relname INTO v_table_name FROM pg_class WHERE oid = p_table;
    SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = p_table AND tgname = 'sync_track_change')
      INTO v_had_trigger;

    IF v_had_trigger THEN
        EXECUTE format('DROP TRIGGER sync_track_change ON %s', p_table);
    END IF;
    EXECUTE format(
        'CREATE TRIGGER sync_track_change AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION sync_track_change(%s)',
        p_table, (SELECT string_agg(quote_literal(col), ', ') FROM unnest(p_key_columns) AS col));

    INSERT INTO sync_change_tracking (table_name, key_columns) VALUES (v_table_name, p_key_columns)
    ON CONFLICT (table_name) DO UPDATE SET key_columns = EXCLUDED.key_columns;

    -- Rows written while no trigger was in place have no change-log entry. Raising the minimum valid version
    -- makes every client re-snapshot the table instead of silently missing them.
    IF NOT v_had_trigger THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', p_table) INTO v_has_rows;
        IF v_has_rows THEN
            UPDATE sync_change_tracking
               SET min_valid_version = greatest(min_valid_version, pg_current_xact_id()::text::bigint)
             WHERE table_name = v_table_name;
        END IF;
    END IF;
END
$$;

SELECT sync_enable_tracking('categoria', ARRAY['categoria_id']);
SELECT sync_enable_tracking('produto', ARRAY['produto_id']);
SELECT sync_enable_tracking('loja', ARRAY['loja_id']);
SELECT sync_enable_tracking('preco_loja', ARRAY['loja_id', 'produto_id']);
SELECT sync_enable_tracking('cliente', ARRAY['cliente_id']);
SELECT sync_enable_tracking('forma_pagamento', ARRAY['forma_pagamento_id']);
SELECT sync_enable_tracking('operador', ARRAY['operador_id']);
