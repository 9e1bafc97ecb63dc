-- PDV registry and event inbox on the central database (PostgreSQL). Same objects as the end of
-- sqlserver_enable_change_tracking.sql. Safe to run again.

-- One row per terminal. The bearer token itself is never stored, only its sha256 hex.
CREATE TABLE IF NOT EXISTS sync_pdv (
    pdv_id     varchar(32)  NOT NULL CONSTRAINT pk_sync_pdv PRIMARY KEY,
    loja_id    integer      NOT NULL CONSTRAINT fk_sync_pdv_loja REFERENCES loja (loja_id),
    token_hash char(64)     NOT NULL CONSTRAINT uq_sync_pdv_token_hash UNIQUE,
    active     boolean      NOT NULL DEFAULT true,
    label      varchar(100) NULL,
    created_at timestamptz  NOT NULL DEFAULT now()
);

-- Event inbox: the primary key is the permanent dedupe of pushed events. Rows are never deleted, and there
-- is no foreign key to sync_pdv so that the record outlives a retired terminal.
-- payload_hash (sha256 hex) tells a replay (same hash: return the stored result) from a conflicting reuse
-- of the key (different hash: 422). payload is text, not jsonb: jsonb would not keep the exact bytes.
CREATE TABLE IF NOT EXISTS sync_inbox (
    pdv_id       varchar(32)  NOT NULL,
    event_id     uuid         NOT NULL,
    event_type   varchar(64)  NOT NULL,
    stream_key   varchar(128) NOT NULL,
    payload_hash char(64)     NOT NULL,
    payload      text         NOT NULL,
    status       varchar(12)  NOT NULL DEFAULT 'applied',
    result       text         NULL,
    received_at  timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT pk_sync_inbox PRIMARY KEY (pdv_id, event_id)
);
