-- outbox_id from a sequence (SQL Server). Same step as postgres/pdv/0010_outbox_id_sequence.sql, which explains
-- why PostgreSQL needs no change. Safe to run again.
--
-- 1. The migration itself, in its own file so that the hand-run entry script common/pdv_aux_tables.sql, which
--    leaves out the sample sales tables, can include it too. sqlcmd resolves :r from the folder it was started
--    in, so run this file by hand from common/mssql/pdv/ (the schema runner resolves it from this file's folder).
:r outbox_id_sequence.sql

-- The sample producer triggers of 0005 insert into the outbox; the capture triggers that push-service generates
-- from its events declaration (pdv/0012_outbox_events_<hash>.sql) replace them, and set ROWCOUNT 0 (a sequence
-- default is refused while a POS session has SET ROWCOUNT on, error 11739). They are not redefined here: doing
-- so would hold the outbox lock while altering triggers on the sales tables, which a running sale could meet in
-- a deadlock.
