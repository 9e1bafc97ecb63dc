-- What the pull side needs beyond the change log itself (PostgreSQL). Same role as
-- mssql/central/0008_pull_proofs.sql. Safe to run again.
--
-- 1. Tracking a table that already holds rows behaves as SQL Server Change Tracking does on a database whose
-- tracking has just been turned on: the table's minimum valid version stays 0, so a client asking for the
-- changes since 0 is served, and served only what changed afterwards. 0002 raised the minimum instead when the
-- table had rows, which made every such client re-snapshot and hid, on PostgreSQL alone, that a client must
-- load the initial data before it reads deltas; central-api now demands the proof of it (the Sync-Token), on
-- both dialects. (SQL Server sets a later-enabled table's minimum to the version current at that moment; the
-- emulation keeps 0 there too, which is never kinder: it only leaves more to the Sync-Token check.)
CREATE OR REPLACE FUNCTION sync_enable_tracking(p_table regclass, p_key_columns text[]) RETURNS void
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    v_table_name  text;
    v_missing     text;
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
    EXECUTE format('DROP TRIGGER IF EXISTS sync_track_change ON %s', p_table);
    EXECUTE format(
        'CREATE TRIGGER sync_track_change AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION sync_track_change(%s)',
        p_table, (SELECT string_agg(quote_literal(col), ', ') FROM unnest(p_key_columns) AS col));

    INSERT INTO sync_change_tracking (table_name, key_columns) VALUES (v_table_name, p_key_columns)
    ON CONFLICT (table_name) DO UPDATE SET key_columns = EXCLUDED.key_columns;
END
$$;

-- 2. Sync-Token keys (see the SQL Server twin): the newest signs, every key present checks. Rotate with
-- SELECT sync_rotate_token_key(), then delete the older keys once every PDV has pulled again.
CREATE TABLE IF NOT EXISTS sync_token_key (
    key_id     integer     NOT NULL CONSTRAINT pk_sync_token_key PRIMARY KEY,
    secret_hex char(64)    NOT NULL, -- 32 random bytes as hex
    created_at timestamptz NOT NULL DEFAULT now()
);

-- 32 random bytes as hex: two gen_random_uuid() values (pg_strong_random underneath, 122 random bits each),
-- without pgcrypto. The table lock makes two concurrent rotations queue instead of both taking the same id.
CREATE OR REPLACE FUNCTION sync_rotate_token_key() RETURNS integer
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    v_key_id integer;
BEGIN
    LOCK TABLE sync_token_key IN SHARE ROW EXCLUSIVE MODE;
    INSERT INTO sync_token_key (key_id, secret_hex)
    SELECT coalesce(max(k.key_id), 0) + 1, replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')
      FROM sync_token_key AS k
    RETURNING key_id INTO v_key_id;
    RETURN v_key_id;
END
$$;

SELECT sync_rotate_token_key() WHERE NOT EXISTS (SELECT 1 FROM sync_token_key);

-- 3. Restore mark (see the SQL Server twin). central-api derives the database's incarnation from the cluster's
-- system identifier, its timeline and the database's oid (versions.postgres.ts), and from this mark, which an
-- operator moves by hand where those do not change: SELECT sync_mark_restore('restored the dump of ...').
CREATE TABLE IF NOT EXISTS sync_restore_mark (
    mark_id   integer      NOT NULL CONSTRAINT pk_sync_restore_mark PRIMARY KEY CONSTRAINT ck_sync_restore_mark_one CHECK (mark_id = 1),
    mark      uuid         NOT NULL,
    marked_at timestamptz  NOT NULL DEFAULT now(),
    note      varchar(400) NULL
);

INSERT INTO sync_restore_mark (mark_id, mark, note) VALUES (1, gen_random_uuid(), 'first mark (central/0008)')
ON CONFLICT (mark_id) DO NOTHING;

CREATE OR REPLACE FUNCTION sync_mark_restore(p_note text DEFAULT NULL) RETURNS uuid
LANGUAGE sql
SET search_path FROM CURRENT
AS $$
    UPDATE sync_restore_mark SET mark = gen_random_uuid(), marked_at = now(), note = left(p_note, 400) WHERE mark_id = 1
    RETURNING mark
$$;
