-- GoldPDV Sync: auxiliary tables on each PDV's local database (SQL Server), for a DBA who applies them by hand.
--
-- Run it in sqlcmd (or SSMS in SQLCMD mode) from this folder (common/), against the PDV database:
--   sqlcmd -S <server> -d <PDV database> -b -I -i pdv_aux_tables.sql
-- It includes the versioned scripts that the schema runner applies at start, so both ways give the same
-- objects; the canonical text is in the files it names. Safe to run again: every object is created only if
-- missing, and the outbox's move from IDENTITY to a sequence (mssql/pdv/outbox_id_sequence.sql, the part of
-- 0010 that fits any schema) happens once. The sample sales tables and their outbox triggers (mssql/pdv/0002,
-- 0004, 0005 and the rest of 0010) are not included: they fit the sample schema only.

:on error exit

:r mssql/pdv/0003_pdv_aux_tables.sql
GO
:r mssql/pdv/0006_pull_state.sql
GO
:r mssql/pdv/outbox_id_sequence.sql
GO
