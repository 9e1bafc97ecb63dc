-- PDV registry (PostgreSQL): when each PDV last called the central API, and when its current token was issued.
-- Same step as mssql/central/0011_pdv_registry_times.sql. Read by `central-api pdv list` (the fleet view).
-- Re-runnable by hand.
--
-- last_seen_at is written by central-api at most once every PDV_LAST_SEEN_INTERVAL_MS per replica (the latest
-- request time of each PDV it saw, coalesced in memory), never once per request, and only ever moves forward.
-- token_issued_at is set by `pdv add` and `pdv rotate-token`; rows registered earlier start from created_at.
ALTER TABLE sync_pdv ADD COLUMN IF NOT EXISTS last_seen_at timestamptz NULL;
ALTER TABLE sync_pdv ADD COLUMN IF NOT EXISTS token_issued_at timestamptz NULL;
UPDATE sync_pdv SET token_issued_at = created_at WHERE token_issued_at IS NULL;
