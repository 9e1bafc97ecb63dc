-- Inbox retention (PostgreSQL). Same objects as mssql/central/0016_inbox_retention.sql. Safe to run again.
--
-- sync_inbox keeps every event it stored, NF-e XML included; central-api purges rows older than
-- INBOX_RETENTION_DAYS (ingest/inbox-purge.ts). The dedupe of pushed events stays permanent: a purged event's
-- key goes into sync_inbox_purged in the transaction that deletes its inbox row, and ingest refuses to store a
-- key found there again, answering a replay "duplicate" as before (its handler is never called twice).
--
-- One row per purged event: about 170 bytes with its primary key (measured on PostgreSQL 15), against the
-- kilobytes of an inbox row.
--   outcome       what a replay is answered: 1 duplicate (the event was applied, its handler returned no
--                 result), 2 duplicate (applied with a result text, which is not kept: the replay answers
--                 without it). Only settled rows (status 'applied') are ever purged.
--   payload_hash  the sha256 of the payload (32 bytes), so that the same eventId with another payload is still
--                 answered "conflict" (422) and is not taken for a replay and lost.
--   received_at   when the inbox first stored the event.
-- No foreign key to sync_pdv, as for sync_inbox: the record outlives a retired terminal.
CREATE TABLE IF NOT EXISTS sync_inbox_purged (
    pdv_id       varchar(32) NOT NULL,
    event_id     uuid        NOT NULL,
    outcome      smallint    NOT NULL CONSTRAINT ck_sync_inbox_purged_outcome CHECK (outcome IN (1, 2)),
    payload_hash bytea       NOT NULL CONSTRAINT ck_sync_inbox_purged_payload_hash CHECK (octet_length(payload_hash) = 32),
    received_at  timestamptz NOT NULL,
    CONSTRAINT pk_sync_inbox_purged PRIMARY KEY (pdv_id, event_id)
);
