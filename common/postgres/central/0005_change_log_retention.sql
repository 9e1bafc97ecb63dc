-- Reading and trimming the PostgreSQL change log (see 0002_change_tracking.sql): the bound up to which
-- changes are settled, and the retention that stands in for SQL Server's Change Tracking automatic cleanup.
-- The central API calls both; a DBA can call them by hand. Safe to run again.

-- The settled bound: every transaction of THIS database with an id below it has committed or aborted, and
-- none can get such an id any more, so a window [since, bound) of the change log never changes once read.
-- It is the snapshot's xmin, except that transactions known to run in another database of the same server
-- are skipped: transaction ids are cluster-wide, but such a transaction can never write this change log, and
-- one left open there would otherwise hold every delta here back. Known means pg_stat_activity shows it as
-- the transaction of a backend connected to another database; an id it does not show (finished since,
-- prepared, hidden from this role, a subtransaction) is kept, which can only lower the bound.
CREATE OR REPLACE FUNCTION sync_settled_bound() RETURNS bigint
LANGUAGE sql STABLE
AS $$
    SELECT least(
               pg_snapshot_xmax(s.snap)::text::bigint,
               (SELECT min(x::text::bigint)
                  FROM pg_snapshot_xip(s.snap) AS x
                 WHERE NOT EXISTS (SELECT 1
                                     FROM pg_stat_activity AS a
                                    WHERE a.backend_xid = x::xid
                                      AND a.datid <> (SELECT d.oid FROM pg_database AS d WHERE d.datname = current_database()))))
      FROM (SELECT pg_current_snapshot() AS snap) AS s
$$;

-- Retention deletes by age.
CREATE INDEX IF NOT EXISTS ix_sync_change_log_changed_at ON sync_change_log (changed_at);

-- The delta reader keeps a key's latest entry of a window by looking for a later entry of the same key.
CREATE INDEX IF NOT EXISTS ix_sync_change_log_table_pk ON sync_change_log (table_name, pk, txid, seq);

-- Deletes up to p_batch_size change-log rows older than p_cutoff (default: now minus the change_retention_days
-- setting) and raises each affected table's min_valid_version to the highest deleted transaction id + 1, in
-- the same transaction, the way SQL Server moves CHANGE_TRACKING_MIN_VALID_VERSION: a client whose checkpoint
-- is below it may have missed a deleted entry and must re-snapshot. Returns the number of rows deleted; call
-- it again while it returns p_batch_size.
--
-- Only settled entries (below sync_settled_bound()) are deleted. An entry of a transaction that committed
-- while an older one of this database is still open stays, so min_valid_version never passes the bound a
-- later read serves: a snapshot taken afterwards has a version at or above it, and its client is not sent
-- straight back to 410 (barring a prepared transaction of another database, which only lowers the bound).
CREATE OR REPLACE FUNCTION sync_change_log_cleanup(p_cutoff timestamptz DEFAULT NULL, p_batch_size integer DEFAULT 10000)
RETURNS bigint
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    v_cutoff  timestamptz := p_cutoff;
    v_bound   xid8;
    v_deleted bigint;
BEGIN
    IF p_batch_size IS NULL OR p_batch_size < 1 THEN
        RAISE EXCEPTION 'sync_change_log_cleanup: p_batch_size must be a positive integer, got %', p_batch_size;
    END IF;
    IF v_cutoff IS NULL THEN
        SELECT now() - value::numeric * interval '1 day' INTO v_cutoff FROM sync_settings WHERE name = 'change_retention_days';
        IF v_cutoff IS NULL THEN
            RAISE EXCEPTION 'sync_change_log_cleanup: sync_settings has no change_retention_days';
        END IF;
    END IF;

    -- One cleanup at a time across API replicas: if another one holds the lock, it is doing this work now.
    IF NOT pg_try_advisory_xact_lock(hashtext('sync_change_log_cleanup')) THEN
        RETURN 0;
    END IF;
    -- Once, not per row: it reads pg_stat_activity.
    v_bound := sync_settled_bound()::text::xid8;

    -- Data-modifying WITH parts always run to completion, whether or not the final SELECT reads them.
    WITH doomed AS (
        SELECT l.seq
          FROM sync_change_log AS l
         WHERE l.changed_at < v_cutoff AND l.txid < v_bound
         ORDER BY l.changed_at
         LIMIT p_batch_size
    ), deleted AS (
        DELETE FROM sync_change_log AS l USING doomed
         WHERE l.seq = doomed.seq
        RETURNING l.table_name, l.txid::text::bigint AS txid
    ), per_table AS (
        SELECT d.table_name, count(*) AS n, max(d.txid) AS last_txid FROM deleted AS d GROUP BY d.table_name
    ), raised AS (
        UPDATE sync_change_tracking AS t
           SET min_valid_version = greatest(t.min_valid_version, p.last_txid + 1)
          FROM per_table AS p
         WHERE t.table_name = p.table_name
        RETURNING t.table_name
    )
    SELECT coalesce(sum(p.n), 0) INTO v_deleted FROM per_table AS p;
    RETURN v_deleted;
END
$$;
