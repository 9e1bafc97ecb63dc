import type { Queryable } from '@goldpdv/core';
import type { InboxDialect, InboxEvent, SavepointName } from './inbox-dialect.js';
import { ROUTINE_NAME } from './event-handlers.js';

/**
 * The whole batch in one statement: the events travel as one JSON array parameter, OPENJSON turns it into
 * rows (SQL Server 2016+, compatibility level 130). UPDLOCK, HOLDLOCK makes the NOT EXISTS check and the
 * insert one step: a concurrent request with the same key waits (bounded by LOCK_TIMEOUT) instead of racing.
 */
export const INSERT_NEW_EVENTS = `INSERT INTO dbo.sync_inbox (pdv_id, event_id, event_type, stream_key, payload_hash, payload)
OUTPUT LOWER(CONVERT(varchar(36), inserted.event_id)) AS event_id
SELECT @p1, e.event_id, e.event_type, e.stream_key, e.payload_hash, e.payload
  FROM OPENJSON(@p2) WITH (
       event_id uniqueidentifier '$.id',
       event_type varchar(64) '$.type',
       stream_key nvarchar(128) '$.stream',
       payload_hash char(64) '$.hash',
       payload nvarchar(max) '$.payload') AS e
 WHERE NOT EXISTS (SELECT 1 FROM dbo.sync_inbox AS i WITH (UPDLOCK, HOLDLOCK)
                    WHERE i.pdv_id = @p1 AND i.event_id = e.event_id);`;

export const READ_STORED_EVENTS = `SELECT LOWER(CONVERT(varchar(36), i.event_id)) AS event_id, i.payload_hash, i.result
  FROM dbo.sync_inbox AS i
 WHERE i.pdv_id = @p1 AND i.event_id IN (SELECT CONVERT(uniqueidentifier, j.value) FROM OPENJSON(@p2) AS j);`;

export const SAVE_RESULT = `UPDATE dbo.sync_inbox SET result = @p3 WHERE pdv_id = @p1 AND event_id = CONVERT(uniqueidentifier, @p2);`;
export const REMOVE_EVENT = `DELETE FROM dbo.sync_inbox WHERE pdv_id = @p1 AND event_id = CONVERT(uniqueidentifier, @p2);`;
export const ROUTINE_EXISTS = `SELECT CASE WHEN OBJECT_ID(@p1, N'P') IS NULL THEN 0 ELSE 1 END AS found;`;

export const beginSql = (lockTimeoutMs: number): string => `SET LOCK_TIMEOUT ${Math.trunc(lockTimeoutMs)}; SAVE TRANSACTION sync_batch;`;

/** Names were validated against ROUTINE_NAME when the configuration was read; checked again before quoting. */
export function quoteMssqlRoutine(routine: string): string {
  if (!ROUTINE_NAME.test(routine)) throw new Error(`not a valid routine name: ${routine.slice(0, 80)}`);
  return `dbo.[${routine}]`;
}

export const savepointSql = (name: SavepointName): string => `SAVE TRANSACTION ${name};`;
export const rollbackToSql = (name: SavepointName): string => `ROLLBACK TRANSACTION ${name};`;

/** The procedure answers with one row holding a `result` column (or no row). */
export const handlerCallSql = (routine: string): string => `EXEC ${quoteMssqlRoutine(routine)} @payload = @p1, @pdv_id = @p2;`;

export const MSSQL_INBOX: InboxDialect = {
  async begin(tx, lockTimeoutMs) {
    // LOCK_TIMEOUT is a session setting; the pool's connection reset restores the default for the next user.
    await tx.executeScript(beginSql(lockTimeoutMs));
  },
  async insertNew(tx, pdvId, events) {
    const { rows } = await tx.query<{ event_id: string }>(INSERT_NEW_EVENTS, [pdvId, eventsJson(events)]);
    return rows.map((row) => row.event_id);
  },
  async readStored(tx, pdvId, keys) {
    const { rows } = await tx.query<{ event_id: string; payload_hash: string; result: string | null }>(READ_STORED_EVENTS, [pdvId, JSON.stringify(keys)]);
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
    const { rows } = await db.query<{ found: number }>(ROUTINE_EXISTS, [`dbo.${routine}`]);
    return rows[0]?.found === 1;
  },
  savepoint: (tx, name) => run(tx, savepointSql(name)),
  rollbackTo: (tx, name) => run(tx, rollbackToSql(name)),
  // SQL Server has no RELEASE SAVEPOINT; a savepoint simply ends with the transaction.
  release: async () => {},
};

async function run(tx: Queryable, sql: string): Promise<void> {
  await tx.query(sql);
}

function eventsJson(events: readonly InboxEvent[]): string {
  return JSON.stringify(events.map((e) => ({ id: e.key, type: e.type, stream: e.streamKey, hash: e.payloadHash, payload: e.payload })));
}
