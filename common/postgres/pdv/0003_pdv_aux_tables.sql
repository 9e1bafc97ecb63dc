-- GoldPDV Sync: auxiliary tables on each PDV's local database (PostgreSQL). Same objects as
-- pdv_aux_tables.sql for SQL Server. Safe to run again.

-- Events waiting to go up to the central API. The PDV's sales code (or a trigger) inserts a row in the same
-- transaction as the sale; push-service claims rows under a lease (FOR UPDATE SKIP LOCKED) and marks them sent.
-- payload is text rather than jsonb: its exact bytes are fingerprinted for idempotency, and a row whose
-- payload is not valid JSON must still be storable so that it can be dead-lettered.
CREATE TABLE IF NOT EXISTS sync_outbox (
    outbox_id       bigserial     NOT NULL CONSTRAINT pk_sync_outbox PRIMARY KEY,
    event_id        uuid          NOT NULL CONSTRAINT uq_sync_outbox_event_id UNIQUE,
    event_type      varchar(64)   NOT NULL,
    stream_key      varchar(128)  NOT NULL, -- events of one stream (e.g. one caixa session) go up in order
    payload         text          NOT NULL,
    created_at      timestamptz   NOT NULL DEFAULT now(),
    attempts        integer       NOT NULL DEFAULT 0,
    -- Claims that never reached a result: a row that keeps crashing the worker is set aside as poison.
    claim_count     integer       NOT NULL DEFAULT 0,
    next_attempt_at timestamptz   NOT NULL DEFAULT now(),
    lease_owner     varchar(64)   NULL,
    lease_until     timestamptz   NULL,
    last_error      varchar(2000) NULL,
    last_status     integer       NULL,     -- HTTP status of the last answer, if any
    sent_at         timestamptz   NULL
);

-- Claim: pending rows that are due, oldest first.
CREATE INDEX IF NOT EXISTS ix_sync_outbox_claim ON sync_outbox (next_attempt_at, outbox_id) WHERE sent_at IS NULL;
-- FIFO within a stream: the head of each stream is its lowest pending outbox_id.
CREATE INDEX IF NOT EXISTS ix_sync_outbox_stream ON sync_outbox (stream_key, outbox_id) WHERE sent_at IS NULL;
-- Retention: sent rows older than the audit window.
CREATE INDEX IF NOT EXISTS ix_sync_outbox_sent ON sync_outbox (sent_at) WHERE sent_at IS NOT NULL;

-- Rows the central API refused for good (422 or another 4xx) or that were set aside as poison.
-- Keeps the outbox row as it was, so the event can be inspected and re-queued by hand.
CREATE TABLE IF NOT EXISTS sync_dead_letter (
    outbox_id       bigint        NOT NULL CONSTRAINT pk_sync_dead_letter PRIMARY KEY,
    event_id        uuid          NOT NULL CONSTRAINT uq_sync_dead_letter_event_id UNIQUE,
    event_type      varchar(64)   NOT NULL,
    stream_key      varchar(128)  NOT NULL,
    payload         text          NOT NULL,
    created_at      timestamptz   NOT NULL,
    attempts        integer       NOT NULL,
    claim_count     integer       NOT NULL,
    next_attempt_at timestamptz   NOT NULL,
    lease_owner     varchar(64)   NULL,
    lease_until     timestamptz   NULL,
    last_error      varchar(2000) NULL,
    last_status     integer       NULL,
    sent_at         timestamptz   NULL,
    reason          varchar(2000) NOT NULL,
    dead_at         timestamptz   NOT NULL DEFAULT now()
);

-- One row per pulled table. version is the last central version fully applied; it moves in the same local
-- transaction as the rows it covers. While mode = 'snapshot', the table is being re-initialised:
-- snapshot_version is where deltas resume afterwards and snapshot_cursor is where the paged copy resumes.
CREATE TABLE IF NOT EXISTS sync_checkpoint (
    table_name       varchar(128)  NOT NULL CONSTRAINT pk_sync_checkpoint PRIMARY KEY,
    version          bigint        NOT NULL DEFAULT 0,
    mode             varchar(12)   NOT NULL DEFAULT 'delta' CONSTRAINT ck_sync_checkpoint_mode CHECK (mode IN ('delta', 'snapshot')),
    snapshot_version bigint        NULL,
    snapshot_cursor  text          NULL,
    rows_applied     bigint        NOT NULL DEFAULT 0,
    last_success_at  timestamptz   NULL,
    last_error       varchar(2000) NULL,
    last_error_at    timestamptz   NULL,
    updated_at       timestamptz   NOT NULL DEFAULT now()
);

-- Pulled rows that the local database refused (constraint, conversion...), isolated from their batch so that
-- the rest of the page still applies. row_key and row_data are JSON text.
CREATE TABLE IF NOT EXISTS sync_rejected_row (
    rejected_id    bigserial     NOT NULL CONSTRAINT pk_sync_rejected_row PRIMARY KEY,
    table_name     varchar(128)  NOT NULL,
    row_key        varchar(400)  NOT NULL,
    column_name    varchar(128)  NULL,
    reason         varchar(2000) NOT NULL,
    row_data       text          NULL,
    source_version bigint        NULL,
    rejected_at    timestamptz   NOT NULL DEFAULT now()
);
