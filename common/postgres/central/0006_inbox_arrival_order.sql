-- Arrival order of events in the central inbox. received_at is the transaction's start time, shared by every
-- event of one batch; arrival_seq orders them exactly, which is how an auditor (or a test) checks that each
-- stream arrived in order. Re-runnable by hand.
ALTER TABLE sync_inbox ADD COLUMN IF NOT EXISTS arrival_seq bigserial;
CREATE INDEX IF NOT EXISTS ix_sync_inbox_arrival ON sync_inbox (arrival_seq);
