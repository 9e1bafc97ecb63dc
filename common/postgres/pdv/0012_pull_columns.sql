-- What each pulled table applies of the central columns (PostgreSQL). Same columns as
-- mssql/pdv/0012_pull_columns.sql. Safe to run again by hand.
--
-- applied_columns: a fingerprint of the set of (central column -> local column, types) the table's pages fill.
-- When it changes (a column newly served and mapped, a local column newly added or renamed to one) the table is
-- read again from a snapshot, so that every row gets the column's value, not only the rows changed afterwards.
-- NULL (a checkpoint from before this script) is simply filled by the next page, without a snapshot.
-- ignored_columns: the central columns the table's pages carry that no local column maps to (comma separated),
-- shown by `status`; NULL when there are none.
ALTER TABLE sync_checkpoint ADD COLUMN IF NOT EXISTS applied_columns varchar(64) NULL;
ALTER TABLE sync_checkpoint ADD COLUMN IF NOT EXISTS ignored_columns text NULL;

-- The status view of the pulled tables' columns, read by `status` beside sync_status_table.
CREATE OR REPLACE VIEW sync_status_table_columns AS
SELECT c.table_name, c.ignored_columns
FROM sync_checkpoint AS c;
