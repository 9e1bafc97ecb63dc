import type { Queryable } from '@goldpdv/core';
import type { InboxDialect, InboxEvent } from './inbox-dialect.js';
import { ROUTINE_NAME } from './event-handlers.js';

/**
 * The whole batch in one statement: each column travels as one array parameter and unnest turns them back
 * into rows, so 1000 events cost one round trip. DO NOTHING leaves stored events alone; RETURNING says which
 * ones are new.
 */
export const INSERT_NEW_EVENTS = `INSERT INTO sync_inbox (pdv_id, event_id, event_type, stream_key, payload_hash, payload)
SELECT $1, e.event_id, e.event_type, e.stream_key, e.payload_hash, e.payload
  FROM unnest($2::uuid[], $3::varchar[], $4::varchar[], $5::char(64)[], $6::text[])
       AS e (event_id, event_type, stream_key, payload_hash, payload)
ON CONFLICT (pdv_id, event_id) DO NOTHING
RETURNING event_id::text AS event_id`;

export const READ_STORED_EVENTS = `SELECT event_id::text AS event_id, payload_hash, result
  FROM sync_inbox WHERE pdv_id = $1 AND event_id = ANY ($2::uuid[])`;

export const SAVE_RESULT = `UPDATE sync_inbox SET result = $3 WHERE pdv_id = $1 AND event_id = $2::uuid`;
export const REMOVE_EVENT = `DELETE FROM sync_inbox WHERE pdv_id = $1 AND event_id = $2::uuid`;
export const ROUTINE_EXISTS = `SELECT to_regprocedure($1) IS NOT NULL AS found`;

/** Names were validated against ROUTINE_NAME when the configuration was read; checked again before quoting. */
export function quotePostgresRoutine(routine: string): string {
  if (!ROUTINE_NAME.test(routine)) throw new Error(`not a valid routine name: ${routine.slice(0, 80)}`);
  return `"${routine}"`;
}

export const handlerCallSql = (routine: string): string => `SELECT ${quotePostgresRoutine(routine)}($1::text, $2::varchar) AS result`;

export const POSTGRES_INBOX: InboxDialect = {
  async begin(tx, lockTimeoutMs) {
    // SET LOCAL ends with the transaction, so the pooled connection goes back with its default.
    await tx.executeScript(`SET LOCAL lock_timeout = '${Math.trunc(lockTimeoutMs)}ms'; SAVEPOINT sync_batch`);
  },
  async insertNew(tx, pdvId, events) {
    const { rows } = await tx.query<{ event_id: string }>(INSERT_NEW_EVENTS, [pdvId, ...columns(events)]);
    return rows.map((row) => row.event_id);
  },
  async readStored(tx, pdvId, keys) {
    const { rows } = await tx.query<{ event_id: string; payload_hash: string; result: string | null }>(READ_STORED_EVENTS, [pdvId, keys]);
    return rows.map((row) => ({ key: row.event_id, payloadHash: row.payload_hash, result: row.result }));
  },
  async saveResult(tx, pdvId, key, result) {
    await tx.query(SAVE_RESULT, [pdvId, key, result]);
  },
  async remove(tx, pdvId, key) {
    await tx.query(REMOVE_EVENT, [pdvId, key]);
  },
  async callHandler(tx, routine, payload, pdvId) {
    const { rows } = await tx.query<{ result: string | null }>(handlerCallSql(routine), [payload, pdvId]);
    return rows[0]?.result ?? null;
  },
  async routineExists(db, routine) {
    const { rows } = await db.query<{ found: boolean }>(ROUTINE_EXISTS, [`${quotePostgresRoutine(routine)}(text, character varying)`]);
    return rows[0]?.found === true;
  },
  savepoint: (tx, name) => run(tx, `SAVEPOINT ${name}`),
  rollbackTo: (tx, name) => run(tx, `ROLLBACK TO SAVEPOINT ${name}`),
  release: (tx, name) => run(tx, `RELEASE SAVEPOINT ${name}`),
};

async function run(tx: Queryable, sql: string): Promise<void> {
  await tx.query(sql);
}

/** Column arrays in the parameter order of INSERT_NEW_EVENTS, built in one pass. */
function columns(events: readonly InboxEvent[]): [string[], string[], string[], string[], string[]] {
  const ids: string[] = new Array(events.length);
  const types: string[] = new Array(events.length);
  const streams: string[] = new Array(events.length);
  const hashes: string[] = new Array(events.length);
  const payloads: string[] = new Array(events.length);
  events.forEach((event, i) => {
    ids[i] = event.key;
    types[i] = event.type;
    streams[i] = event.streamKey;
    hashes[i] = event.payloadHash;
    payloads[i] = event.payload;
  });
  return [ids, types, streams, hashes, payloads];
}

