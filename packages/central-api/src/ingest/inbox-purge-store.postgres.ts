import type { InboxPurgeStore } from './inbox-purge-store.js';
import { checkedDays } from './inbox-purge-store.js';

/** A loose index walk over the primary key: one probe per PDV, however many rows each has. */
export const NEXT_PDV = `SELECT min(pdv_id) AS pdv_id FROM sync_inbox WHERE pdv_id > $1`;

/**
 * $1 pdv id, $2 days, $3 batch size. One statement: the oldest rows of the PDV through ix_sync_inbox_pdv_received
 * (0010), locked with SKIP LOCKED so that two replicas purging at once take different rows instead of waiting on
 * each other, deleted, and their keys recorded. Only status 'applied' is purged: every row the inbox commits is
 * settled (a refused event's row is removed in its own transaction), and any other status would be kept.
 * ON CONFLICT DO NOTHING keeps a key recorded before (a row restored by hand) as it was. The cutoff is the
 * database's clock, as received_at is.
 */
export const PURGE_BATCH = `WITH doomed AS (
  SELECT i.pdv_id, i.event_id
    FROM sync_inbox AS i
   WHERE i.pdv_id = $1 AND i.received_at < now() - make_interval(days => $2::int) AND i.status = 'applied'
   ORDER BY i.received_at
   LIMIT $3
     FOR UPDATE SKIP LOCKED
), gone AS (
  DELETE FROM sync_inbox AS i
   USING doomed AS d
   WHERE i.pdv_id = d.pdv_id AND i.event_id = d.event_id
  RETURNING i.pdv_id, i.event_id, i.payload_hash, i.result, i.received_at
), recorded AS (
  INSERT INTO sync_inbox_purged (pdv_id, event_id, outcome, payload_hash, received_at)
  SELECT g.pdv_id, g.event_id, CASE WHEN g.result IS NULL THEN 1 ELSE 2 END, decode(g.payload_hash, 'hex'), g.received_at
    FROM gone AS g
  ON CONFLICT (pdv_id, event_id) DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM gone)::int AS deleted, (SELECT count(*) FROM recorded)::int AS recorded`;

export const POSTGRES_INBOX_PURGE_STORE: InboxPurgeStore = {
  async nextPdv(db, after) {
    const { rows } = await db.query<{ pdv_id: string | null }>(NEXT_PDV, [after]);
    return rows[0]?.pdv_id ?? null;
  },
  async purgeBatch(tx, batch, lockTimeoutMs) {
    // SET LOCAL ends with the transaction: the pooled connection goes back with its default.
    await tx.executeScript(`SET LOCAL lock_timeout = '${Math.trunc(lockTimeoutMs)}ms'`);
    const { rows } = await tx.query<{ deleted: number; recorded: number }>(PURGE_BATCH, [batch.pdvId, checkedDays(batch.olderThanDays), batch.batchSize]);
    return { deleted: Number(rows[0]?.deleted ?? 0), recorded: Number(rows[0]?.recorded ?? 0) };
  },
};
