-- The pull checkpoint's proof of initial data (PostgreSQL). Same columns as mssql/pdv/0009_pull_proofs.sql.
-- Safe to run again by hand.
--
-- sync_token: the Sync-Token the central API handed with the last page of the table's snapshot (and hands
-- again, under its newest key, with every page of changes). GET /v1/changes is refused (410) without it, so a
-- checkpoint that never went through a snapshot cannot skip the rows that existed before tracking began.
ALTER TABLE sync_checkpoint ADD COLUMN IF NOT EXISTS sync_token varchar(1000) NULL;

-- incarnation: which incarnation of the central database the table was loaded from (the Sync-Incarnation
-- header of its pages). A page from another one (the central database was restored or failed over) sends the
-- table back to a snapshot.
ALTER TABLE sync_checkpoint ADD COLUMN IF NOT EXISTS incarnation varchar(64) NULL;

-- A table that has no checkpoint yet (a new PDV, a table new in the mapping, a reinstall) starts with a
-- snapshot. Rows already there keep their mode; those in delta mode without a token get 410 and take their
-- snapshot then.
ALTER TABLE sync_checkpoint ALTER COLUMN mode SET DEFAULT 'snapshot';
