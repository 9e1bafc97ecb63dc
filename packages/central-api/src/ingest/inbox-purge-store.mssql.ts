import type { InboxPurgeStore } from './inbox-purge-store.js';
import { checkedDays } from './inbox-purge-store.js';

/** See the PostgreSQL twin. MIN over the primary key's leading column is one seek per PDV. */
export const NEXT_PDV = `SELECT MIN(i.pdv_id) AS pdv_id FROM dbo.sync_inbox AS i WHERE i.pdv_id > CAST(@p1 AS varchar(32));`;

/**
 * @p1 pdv id, @p2 days, @p3 batch size; see the PostgreSQL twin. READPAST with UPDLOCK and ROWLOCK is SKIP LOCKED:
 * rows another transaction holds (a second replica's purge, a request reading the row) are left for the next run.
 * With READ_COMMITTED_SNAPSHOT on, READPAST needs READCOMMITTEDLOCK, as in push-service's outbox statements.
 * The deleted keys go through a table variable rather than straight into dbo.sync_inbox_purged: OUTPUT INTO
 * refuses a target with CHECK constraints, and NOT EXISTS keeps a key recorded before as it was. The batch of
 * statements runs inside the caller's transaction, so the delete and the records commit together.
 */
export const PURGE_BATCH = `DECLARE @gone TABLE (
    pdv_id       varchar(32)      NOT NULL,
    event_id     uniqueidentifier NOT NULL,
    payload_hash char(64)         NOT NULL,
    has_result   bit              NOT NULL,
    received_at  datetime2(3)     NOT NULL);
WITH doomed AS (
  SELECT TOP (@p3) i.pdv_id, i.event_id, i.payload_hash, i.result, i.received_at
    FROM dbo.sync_inbox AS i WITH (UPDLOCK, READPAST, READCOMMITTEDLOCK, ROWLOCK)
   WHERE i.pdv_id = CAST(@p1 AS varchar(32)) AND i.received_at < DATEADD(day, -@p2, SYSUTCDATETIME()) AND i.status = 'applied'
   ORDER BY i.received_at)
DELETE FROM doomed
OUTPUT deleted.pdv_id, deleted.event_id, deleted.payload_hash, CASE WHEN deleted.result IS NULL THEN 0 ELSE 1 END, deleted.received_at
  INTO @gone (pdv_id, event_id, payload_hash, has_result, received_at);
INSERT INTO dbo.sync_inbox_purged (pdv_id, event_id, outcome, payload_hash, received_at)
SELECT g.pdv_id, g.event_id, CASE WHEN g.has_result = 1 THEN 2 ELSE 1 END, CONVERT(binary(32), g.payload_hash, 2), g.received_at
  FROM @gone AS g
 WHERE NOT EXISTS (SELECT 1 FROM dbo.sync_inbox_purged AS p WHERE p.pdv_id = g.pdv_id AND p.event_id = g.event_id);
DECLARE @recorded int = @@ROWCOUNT;
SELECT (SELECT COUNT(*) FROM @gone) AS deleted, @recorded AS recorded;`;

/**
 * LOCK_TIMEOUT and XACT_ABORT are session settings: core's mssql adapter puts them back when the transaction ends.
 * XACT_ABORT ON: an error in the key record's INSERT (a lock timeout) rolls the whole batch back, so that no row
 * is ever deleted without its key; with it off, SQL Server would go on after the failed statement.
 */
export const lockTimeoutSql = (lockTimeoutMs: number): string => `SET XACT_ABORT ON; SET LOCK_TIMEOUT ${Math.trunc(lockTimeoutMs)};`;

export const MSSQL_INBOX_PURGE_STORE: InboxPurgeStore = {
  async nextPdv(db, after) {
    const { rows } = await db.query<{ pdv_id: string | null }>(NEXT_PDV, [after]);
    return rows[0]?.pdv_id ?? null;
  },
  async purgeBatch(tx, batch, lockTimeoutMs) {
    await tx.executeScript(lockTimeoutSql(lockTimeoutMs));
    const { rows } = await tx.query<{ deleted: number; recorded: number }>(PURGE_BATCH, [batch.pdvId, checkedDays(batch.olderThanDays), batch.batchSize]);
    return { deleted: Number(rows[0]?.deleted ?? 0), recorded: Number(rows[0]?.recorded ?? 0) };
  },
};
