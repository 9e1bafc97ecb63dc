-- Outbox wake-up (PostgreSQL only): a statement that adds captures (the sales' capture triggers) or outbox rows
-- (POS code that writes the outbox itself) notifies channel sync_outbox_wakeup. push-service LISTENs on it while
-- the outbox is empty, so that it can poll the outbox rarely at rest and still send a new sale at once. The
-- notification is delivered when the sale's transaction commits, never before its rows are visible, and the same
-- notification raised many times in one transaction is delivered once.
-- What it adds to a sale: one pg_notify per statement, queued in memory and sent at commit. It can fail the sale
-- only where NOTIFY itself is refused: a transaction that is PREPAREd (two-phase commit), or a notification queue
-- full (8 GB of notifications unread by a listener session that stopped reading). Drop both triggers to turn it
-- off: push-service then finds new rows by its poll alone, within PUSH_IDLE_POLL_MAX_MS (set it to 0 to poll every
-- POLL_INTERVAL_MS, as on SQL Server, which has no such notification and keeps its triggers as they are).
-- Safe to run again.

CREATE OR REPLACE FUNCTION sync_outbox_wakeup() RETURNS trigger
LANGUAGE plpgsql
AS $wakeup$
BEGIN
    PERFORM pg_notify('sync_outbox_wakeup', '');
    RETURN NULL;
END
$wakeup$;

-- Not named sync_*: the doctor takes every sync_* trigger for an outbox producer, whose loss loses sales. Without
-- these two only the wake-up is lost: sales then wait for the next poll of the outbox.
DROP TRIGGER IF EXISTS notify_outbox_wakeup ON sync_capture;
CREATE TRIGGER notify_outbox_wakeup AFTER INSERT ON sync_capture
    FOR EACH STATEMENT EXECUTE FUNCTION sync_outbox_wakeup();

DROP TRIGGER IF EXISTS notify_outbox_wakeup ON sync_outbox;
CREATE TRIGGER notify_outbox_wakeup AFTER INSERT ON sync_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION sync_outbox_wakeup();
