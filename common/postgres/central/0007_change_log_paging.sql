-- Paging the PostgreSQL change log (see 0002_change_tracking.sql and read-changes.postgres.ts in central-api).
-- Safe to run again.
--
-- A delta page is "the next limit + 1 net changes of one table after the cursor (txid, pk), in (txid, pk)
-- order". With only (table_name, txid) to go by, every page had to collect and sort whatever was left of the
-- window, so paging through a window of N changes cost O(N^2). This index holds the entries in exactly the
-- page order, so a page is one range scan starting at the cursor that stops after limit + 1 entries. seq
-- comes last so that the scan also yields what the "is there a later entry of this key" test needs without
-- visiting the table.
CREATE INDEX IF NOT EXISTS ix_sync_change_log_paging ON sync_change_log (table_name, txid, pk, seq);

-- (table_name, txid) is a prefix of the index above, which serves everything it served (the per-table change
-- head reads it backwards). Keeping both would cost every tracked write an extra index entry, and would leave
-- the planner an index that yields the window without the page order, i.e. the sort this script removes.
DROP INDEX IF EXISTS ix_sync_change_log_table;
