import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../../../packages/core/src/db/types.js';

export interface SeedEvent {
  eventId: string;
  eventType: string;
  streamKey: string;
  payload: string;
}

/** `count` events spread round-robin over `streams` streams, each payload padded to about `payloadBytes`. */
export function makeEvents(count: number, streams: number, payloadBytes = 200): SeedEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const stream = `caixa:${String(i % streams).padStart(4, '0')}`;
    const body = { seq: Math.floor(i / streams), stream, total: `${(i * 1.25).toFixed(4)}`, note: '' };
    const base = JSON.stringify(body).length;
    body.note = 'x'.repeat(Math.max(0, payloadBytes - base));
    return { eventId: randomUUID(), eventType: 'venda.finalizada', streamKey: stream, payload: JSON.stringify(body) };
  });
}

/** Inserts events into sync_outbox in order (outbox_id follows the array order), in chunks. */
export async function insertOutboxEvents(db: Database, events: readonly SeedEvent[]): Promise<void> {
  for (let start = 0; start < events.length; start += 500) {
    const chunk = events.slice(start, start + 500);
    await db.transaction(async (tx) => {
      if (tx.dialect === 'mssql') {
        await tx.query(
          `INSERT INTO dbo.sync_outbox (event_id, event_type, stream_key, payload)
SELECT event_id, event_type, stream_key, payload FROM OPENJSON(@p1)
WITH (event_id uniqueidentifier '$.eventId', event_type varchar(64) '$.eventType', stream_key nvarchar(128) '$.streamKey', payload nvarchar(max) '$.payload', ord int '$.ord')
ORDER BY ord`,
          [JSON.stringify(chunk.map((e, ord) => ({ ...e, ord })))],
        );
      } else {
        await tx.query(
          `INSERT INTO sync_outbox (event_id, event_type, stream_key, payload)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(e, ty, s, p, ord) ORDER BY ord`.replace('SELECT *', 'SELECT e, ty, s, p'),
          [chunk.map((e) => e.eventId), chunk.map((e) => e.eventType), chunk.map((e) => e.streamKey), chunk.map((e) => e.payload)],
        );
      }
    });
  }
}

export async function countRows(db: Queryable, table: string, where = '1=1'): Promise<number> {
  const { rows } = await db.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`);
  return Number(rows[0]!.n);
}

/**
 * Moves a time column of sync_outbox back by `ms`, as if that long had passed on the database clock: a lease
 * runs out, a retry falls due, and no test sleeps against them.
 */
export async function rewindOutbox(db: Queryable, column: 'lease_until' | 'next_attempt_at', ms: number, where = 'sent_at IS NULL'): Promise<void> {
  const moved = db.dialect === 'mssql' ? `DATEADD(millisecond, ${-ms}, ${column})` : `${column} - ${ms} * interval '1 millisecond'`;
  await db.query(`UPDATE sync_outbox SET ${column} = ${moved} WHERE ${where}`);
}
