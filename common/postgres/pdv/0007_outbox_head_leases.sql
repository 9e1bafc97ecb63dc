-- Leases on stream heads (PostgreSQL). A claim writes its lease on the head of each stream it takes (the
-- stream's oldest unsent row, which already decides whether the stream may move) together with claim_until:
-- the last outbox_id of the prefix it took behind that head. The rows behind the head are not rewritten when
-- they are claimed: rewriting every ~1 KB row at claim and again when it is sent was the largest cost of a
-- delivery. A claim that never reaches a result (the worker died) still counts against every row it held:
-- the next claim of that stream finds claim_until on the head and adds that claim to the rows behind it, in
-- the same statement, so the poison count of each row stays exact (see push-service outbox-sql.postgres.ts).
-- The SQL Server claim keeps a lease on every row and leaves this column alone. Safe to run again.

ALTER TABLE sync_outbox ADD COLUMN IF NOT EXISTS claim_until bigint NULL;

-- Supersedes the function of 0005_outbox_producer.sql. A row behind a leased head carries no lease of its own
-- now, so "never tried" also means: not held behind a head's claim (claim_until), not counted by a claim that
-- never finished (claim_count). The stream's head is locked first, so that a claim running right now is
-- waited for (the UPDATE, a later statement, then sees its claim_until) and a claim that comes later skips
-- the stream until the sale's transaction ends.
CREATE OR REPLACE FUNCTION sync_outbox_refresh(p_event_id uuid, p_payload text) RETURNS void
LANGUAGE sql
SET search_path FROM CURRENT
AS $$
    SELECT 1 FROM sync_outbox h
     WHERE h.stream_key = (SELECT e.stream_key FROM sync_outbox e WHERE e.event_id = p_event_id)
       AND h.sent_at IS NULL
     ORDER BY h.outbox_id
     LIMIT 1
       FOR UPDATE;
    UPDATE sync_outbox r
       SET payload = p_payload
     WHERE r.event_id = p_event_id
       AND p_payload IS NOT NULL
       AND r.sent_at IS NULL
       AND r.lease_owner IS NULL
       AND r.lease_until IS NULL
       AND r.claim_until IS NULL
       AND r.claim_count = 0
       AND r.attempts = 0
       AND r.last_status IS NULL
       AND r.last_error IS NULL
       AND NOT EXISTS (
           SELECT 1 FROM sync_outbox h
            WHERE h.stream_key = r.stream_key
              AND h.sent_at IS NULL
              AND h.claim_until IS NOT NULL
              AND h.outbox_id < r.outbox_id
              AND r.outbox_id <= h.claim_until);
$$;
