import { quoteIdentifier } from '@goldpdv/core';
import { checkedRoutineName } from './event-handlers.js';
import { runStatement, sharedInboxOperations, type InboxEvent, type InboxStore } from './inbox-store.js';

/**
 * The whole batch in one statement: each column travels as one array parameter and unnest turns them back
 * into rows, so 1000 events cost one round trip. DO NOTHING leaves stored events alone; RETURNING says which
 * ones are new. ORDER BY the ordinality, so that arrival_seq (a sequence default) numbers the events in request
 * order, as on SQL Server. NOT EXISTS skips the keys the inbox retention purged (sync_inbox_purged): one primary key
 * probe per event, in the same statement, so that a replay of a purged event is never stored (nor applied) again.
 */
export const INSERT_NEW_EVENTS = `INSERT INTO sync_inbox (pdv_id, event_id, event_type, stream_key, payload_hash, payload)
SELECT $1::varchar, e.event_id, e.event_type, e.stream_key, e.payload_hash, e.payload
  FROM unnest($2::uuid[], $3::varchar[], $4::varchar[], $5::char(64)[], $6::text[]) WITH ORDINALITY
       AS e (event_id, event_type, stream_key, payload_hash, payload, position)
 WHERE NOT EXISTS (SELECT 1 FROM sync_inbox_purged AS p WHERE p.pdv_id = $1::varchar AND p.event_id = e.event_id)
 ORDER BY e.position
ON CONFLICT (pdv_id, event_id) DO NOTHING
RETURNING event_id::text AS event_id`;

/**
 * The stored fingerprint of each key, from the inbox or, for a purged event, from its key-only record (no result
 * text: the purge does not keep it). Read only for the keys the insert did not store.
 */
export const READ_STORED_EVENTS = `SELECT event_id::text AS event_id, payload_hash, result
  FROM sync_inbox WHERE pdv_id = $1 AND event_id = ANY ($2::uuid[])
UNION ALL
SELECT p.event_id::text, encode(p.payload_hash, 'hex'), NULL
  FROM sync_inbox_purged AS p
 WHERE p.pdv_id = $1 AND p.event_id = ANY ($2::uuid[])
   AND NOT EXISTS (SELECT 1 FROM sync_inbox AS i WHERE i.pdv_id = p.pdv_id AND i.event_id = p.event_id)`;

/** Which of the keys just inserted a purge recorded meanwhile (see InboxStore.purgedAmong). */
export const PURGED_AMONG = `SELECT event_id::text AS event_id FROM sync_inbox_purged WHERE pdv_id = $1 AND event_id = ANY ($2::uuid[])`;

export const SAVE_RESULT = `UPDATE sync_inbox SET result = $3 WHERE pdv_id = $1 AND event_id = $2::uuid`;
export const REMOVE_EVENT = `DELETE FROM sync_inbox WHERE pdv_id = $1 AND event_id = $2::uuid`;
export const ROUTINE_EXISTS = `SELECT to_regprocedure($1) IS NOT NULL AS found`;

/** Names were validated against ROUTINE_NAME when the configuration was read; checked again before quoting. */
export const quotePostgresRoutine = (routine: string): string => quoteIdentifier('postgres', checkedRoutineName(routine));

export const handlerCallSql = (routine: string): string => `SELECT ${quotePostgresRoutine(routine)}($1::text, $2::varchar) AS result`;

export const POSTGRES_INBOX_STORE: InboxStore = {
  ...sharedInboxOperations({ readStored: READ_STORED_EVENTS, purgedAmong: PURGED_AMONG, saveResult: SAVE_RESULT, remove: REMOVE_EVENT, handlerCall: handlerCallSql }, (keys) => keys),
  async begin(tx, lockTimeoutMs) {
    // SET LOCAL ends with the transaction, so the pooled connection goes back with its default.
    await tx.executeScript(`SET LOCAL lock_timeout = '${Math.trunc(lockTimeoutMs)}ms'; SAVEPOINT sync_batch`);
  },
  async insertNew(tx, pdvId, events) {
    const { rows } = await tx.query<{ event_id: string }>(INSERT_NEW_EVENTS, [pdvId, ...columns(events)]);
    return rows.map((row) => row.event_id);
  },
  async routineExists(db, routine) {
    const { rows } = await db.query<{ found: boolean }>(ROUTINE_EXISTS, [`${quotePostgresRoutine(routine)}(text, character varying)`]);
    return rows[0]?.found === true;
  },
  describeRoutine: (routine) => `a function ${routine}(text, varchar)`,
  savepoint: (tx, name) => runStatement(tx, `SAVEPOINT ${name}`),
  rollbackTo: (tx, name) => runStatement(tx, `ROLLBACK TO SAVEPOINT ${name}`),
  release: (tx, name) => runStatement(tx, `RELEASE SAVEPOINT ${name}`),
};

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

