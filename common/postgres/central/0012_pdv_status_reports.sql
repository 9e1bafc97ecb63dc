-- PDV status reports (PostgreSQL): the latest status report of each PDV daemon, for the fleet view
-- (`central-api fleet`, `central-api pdv list`, GET /fleet on the admin port). Same step as
-- mssql/central/0012_pdv_status_reports.sql. Re-runnable by hand.
--
-- central-api keeps the reports in memory and writes the ones that changed every FLEET_FLUSH_INTERVAL_MS (per
-- replica), in one statement per chunk, never one write per report. received_at is central's clock when the
-- report arrived and never moves backwards (several replicas write); report is the report as validated (JSON).
CREATE TABLE IF NOT EXISTS sync_pdv_status (
    pdv_id       varchar(32)  NOT NULL,
    daemon       varchar(16)  NOT NULL,
    received_at  timestamptz  NOT NULL,
    report       text         NOT NULL,
    CONSTRAINT pk_sync_pdv_status PRIMARY KEY (pdv_id, daemon)
);
