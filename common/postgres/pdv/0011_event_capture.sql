-- Event capture (PostgreSQL): what the generated capture triggers write, and what push-service keeps to turn
-- captures into outbox events. Same objects as mssql/pdv/0011_event_capture.sql, which explains them; the
-- triggers are generated from the events declaration and applied as pdv/0012_outbox_events_<hash>.sql.
-- Do not add constraints or triggers to these tables: a trigger's error rolls the sale back. Safe to run again.

CREATE TABLE IF NOT EXISTS sync_installation (
    installation_id uuid        NOT NULL CONSTRAINT pk_sync_installation PRIMARY KEY,
    created_at      timestamptz NOT NULL DEFAULT now()
);

INSERT INTO sync_installation (installation_id)
SELECT gen_random_uuid() WHERE NOT EXISTS (SELECT 1 FROM sync_installation);

-- bigserial, a sequence default like SQL Server's: the trigger's nextval() moves lastval(), as the outbox's did
-- (0010_outbox_id_sequence.sql says what POS code reads instead).
CREATE TABLE IF NOT EXISTS sync_capture (
    capture_id  bigserial    NOT NULL CONSTRAINT pk_sync_capture PRIMARY KEY,
    source_name varchar(128) NOT NULL,
    key_text    varchar(200) NULL,
    op          char(1)      NOT NULL,
    new_status  varchar(100) NULL,
    captured_at timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS sync_event_state (
    source_name varchar(128) NOT NULL,
    key_text    varchar(200) NOT NULL,
    last_status varchar(100) NULL,
    transitions integer      NOT NULL,
    updated_at  timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT pk_sync_event_state PRIMARY KEY (source_name, key_text)
);

CREATE TABLE IF NOT EXISTS sync_capture_seed (
    source_name  varchar(128) NOT NULL,
    status_value varchar(100) NOT NULL,
    seeded_at    timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT pk_sync_capture_seed PRIMARY KEY (source_name, status_value)
);

CREATE TABLE IF NOT EXISTS sync_event_declaration (
    declaration_hash char(64)    NOT NULL CONSTRAINT pk_sync_event_declaration PRIMARY KEY,
    installed_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS sync_reconciliation (
    day           date           NOT NULL,
    session_key   varchar(128)   NOT NULL,
    local_sales   bigint         NOT NULL,
    local_total   numeric(38,10) NOT NULL,
    central_sales bigint         NULL,
    central_total numeric(38,10) NULL,
    central_error varchar(400)   NULL,
    checked_at    timestamptz    NOT NULL DEFAULT now(),
    CONSTRAINT pk_sync_reconciliation PRIMARY KEY (day, session_key)
);

CREATE OR REPLACE VIEW sync_status_capture AS
SELECT
  (SELECT COUNT(*) FROM sync_capture) AS pending,
  (SELECT EXTRACT(EPOCH FROM now() - MIN(captured_at)) FROM sync_capture) AS oldest_age_s;

CREATE OR REPLACE VIEW sync_status_reconciliation AS
SELECT r.day, r.session_key, r.local_sales, r.local_total, r.central_sales, r.central_total, r.central_error, r.checked_at
FROM sync_reconciliation AS r;
