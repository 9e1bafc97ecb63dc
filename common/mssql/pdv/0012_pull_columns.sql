-- What each pulled table applies of the central columns (SQL Server). Same columns as
-- postgres/pdv/0012_pull_columns.sql. Every step checks first, so the file may be run again by hand.
--
-- applied_columns: a fingerprint of the set of (central column -> local column, types) the table's pages fill.
-- When it changes (a column newly served and mapped, a local column newly added or renamed to one) the table is
-- read again from a snapshot, so that every row gets the column's value, not only the rows changed afterwards.
-- NULL (a checkpoint from before this script) is simply filled by the next page, without a snapshot.
-- ignored_columns: the central columns the table's pages carry that no local column maps to (comma separated),
-- shown by `status`; NULL when there are none.
IF COL_LENGTH(N'dbo.sync_checkpoint', N'applied_columns') IS NULL
    ALTER TABLE dbo.sync_checkpoint ADD applied_columns varchar(64) NULL;
GO

IF COL_LENGTH(N'dbo.sync_checkpoint', N'ignored_columns') IS NULL
    ALTER TABLE dbo.sync_checkpoint ADD ignored_columns nvarchar(max) NULL;
GO

-- The status view of the pulled tables' columns, read by `status` beside sync_status_table. Created once as a
-- stub and then ALTERed, which keeps the grants a monitoring login holds on it (see 0008_status_views.sql).
IF OBJECT_ID(N'dbo.sync_status_table_columns', N'V') IS NULL EXEC(N'CREATE VIEW dbo.sync_status_table_columns AS SELECT 1 AS placeholder');
GO
ALTER VIEW dbo.sync_status_table_columns AS
SELECT c.table_name, c.ignored_columns
FROM dbo.sync_checkpoint AS c;
GO
