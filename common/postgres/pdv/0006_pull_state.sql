-- pull-service state beyond the first version of sync_checkpoint (PostgreSQL). Same columns as
-- sqlserver/pdv/0006_pull_state.sql. Safe to run again by hand.
--
-- delta_cursor / delta_to_version: a delta window (since version -> toVersion) can span several pages; the
-- checkpoint's version moves only at the window's end, and the cursor of the next page is kept here so that a
-- restart in the middle continues the window instead of starting it again.
-- snapshot_last_key: the last key applied by a re-initialisation, as JSON. Each snapshot page deletes the local
-- rows between the previous page's last key and its own that it does not contain; after a restart the next
-- page needs that lower bound, which the server's opaque cursor does not give.
-- pending_deletes: keys (JSON array) of rows deleted centrally that local rows still refer to. They are kept
-- until the referring rows (children) have been pulled past them, then deleted; an upsert of the same key
-- cancels them. Stored with the checkpoint, so a crash never loses or replays one.

ALTER TABLE sync_checkpoint ADD COLUMN IF NOT EXISTS delta_cursor text NULL;
ALTER TABLE sync_checkpoint ADD COLUMN IF NOT EXISTS delta_to_version bigint NULL;
ALTER TABLE sync_checkpoint ADD COLUMN IF NOT EXISTS snapshot_last_key text NULL;
ALTER TABLE sync_checkpoint ADD COLUMN IF NOT EXISTS pending_deletes text NULL;

-- A table held by PULL_REJECT_POLICY=stop-table meets its bad rows again on every attempt; they are recorded
-- once, which this index keeps cheap to check.
CREATE INDEX IF NOT EXISTS ix_sync_rejected_row_key ON sync_rejected_row (table_name, row_key);
