-- Change notification (PostgreSQL only): a statement that writes the change log, the tracking registry (a table
-- tracked anew, retention raising a minimum valid version) or the restore mark notifies channel sync_change.
-- Each central-api replica LISTENs on it, so that its serving clock reads the versions when something changed
-- instead of every CHANGES_POLL_INTERVAL_MS while PDVs wait: an idle fleet then costs the database nothing but a
-- check every few seconds. The notification is delivered when the writing transaction commits, never before its
-- changes are visible, and the one notification raised many times in a transaction is delivered once.
-- What it adds to a write of a tracked table: one pg_notify per statement, queued in memory and sent at commit.
-- It can fail the write only where NOTIFY itself is refused: a transaction that is PREPAREd (two-phase commit),
-- or a notification queue full (8 GB unread by a listener session that stopped reading). Drop the triggers to
-- turn it off: central-api then reads the versions every CHANGES_POLL_INTERVAL_MS while PDVs wait, as on SQL
-- Server, which has no such notification. Safe to run again.

CREATE OR REPLACE FUNCTION sync_change_notify() RETURNS trigger
LANGUAGE plpgsql
AS $notify$
BEGIN
    PERFORM pg_notify('sync_change', '');
    RETURN NULL;
END
$notify$;

-- Not named sync_*: these triggers are not change tracking, and without them only the wake-up is lost.
DROP TRIGGER IF EXISTS notify_change ON sync_change_log;
CREATE TRIGGER notify_change AFTER INSERT ON sync_change_log
    FOR EACH STATEMENT EXECUTE FUNCTION sync_change_notify();

DROP TRIGGER IF EXISTS notify_change ON sync_change_tracking;
CREATE TRIGGER notify_change AFTER INSERT OR UPDATE OR DELETE ON sync_change_tracking
    FOR EACH STATEMENT EXECUTE FUNCTION sync_change_notify();

DROP TRIGGER IF EXISTS notify_change ON sync_restore_mark;
CREATE TRIGGER notify_change AFTER INSERT OR UPDATE ON sync_restore_mark
    FOR EACH STATEMENT EXECUTE FUNCTION sync_change_notify();
