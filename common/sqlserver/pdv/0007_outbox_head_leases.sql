-- sync_outbox.claim_until (SQL Server). The PostgreSQL claim leases only the head of each stream and records
-- there the last row of the prefix it holds behind it (postgres/pdv/0007_outbox_head_leases.sql). The SQL
-- Server claim keeps a lease on every row it holds and leaves this column NULL; the column is here so that
-- both dialects have the same tables. Safe to run again.

IF COL_LENGTH(N'dbo.sync_outbox', N'claim_until') IS NULL
    ALTER TABLE dbo.sync_outbox ADD claim_until bigint NULL;
GO
