import { quoteIdentifier } from '@goldpdv/core';
import { checkedRoutineName } from './event-handlers.js';
import { runStatement, sharedInboxOperations, type InboxEvent, type InboxStore, type SavepointName } from './inbox-store.js';

/**
 * The whole batch in one statement: the events travel as one JSON array parameter, OPENJSON turns it into
 * rows (SQL Server 2016+, compatibility level 130). pdv_id is varchar(32) and mssql binds a string as nvarchar:
 * every statement here casts @p1, or SQL Server would convert the column and scan the inbox under these locks. UPDLOCK, HOLDLOCK makes the NOT EXISTS check and the
 * insert one step: a concurrent request with the same key waits (bounded by LOCK_TIMEOUT) instead of racing.
 * ORDER BY the item's position in the array, so that arrival_seq (IDENTITY) numbers the events in request order:
 * without it an INSERT ... SELECT assigns identity values in whatever order the plan produces the rows. Plain
 * OPENJSON gives that position as [key], an nvarchar: cast to int, or "10" would sort before "2". The second NOT
 * EXISTS skips the keys the inbox retention purged (dbo.sync_inbox_purged), so that a replay of a purged event is
 * never stored (nor applied) again. It takes no lock hint: a purge committing meanwhile is caught by purgedAmong,
 * read after this statement, and range locks on that table would only add a deadlock with the purge.
 */
export const INSERT_NEW_EVENTS = `INSERT INTO dbo.sync_inbox (pdv_id, event_id, event_type, stream_key, payload_hash, payload)
OUTPUT LOWER(CONVERT(varchar(36), inserted.event_id)) AS event_id
SELECT CAST(@p1 AS varchar(32)), e.event_id, e.event_type, e.stream_key, e.payload_hash, e.payload
  FROM OPENJSON(@p2) AS item
 CROSS APPLY OPENJSON(item.[value]) WITH (
       event_id uniqueidentifier '$.id',
       event_type varchar(64) '$.type',
       stream_key nvarchar(128) '$.stream',
       payload_hash char(64) '$.hash',
       payload nvarchar(max) '$.payload') AS e
 WHERE NOT EXISTS (SELECT 1 FROM dbo.sync_inbox AS i WITH (UPDLOCK, HOLDLOCK)
                    WHERE i.pdv_id = CAST(@p1 AS varchar(32)) AND i.event_id = e.event_id)
   AND NOT EXISTS (SELECT 1 FROM dbo.sync_inbox_purged AS p
                    WHERE p.pdv_id = CAST(@p1 AS varchar(32)) AND p.event_id = e.event_id)
 ORDER BY CAST(item.[key] AS int);`;

/** See the PostgreSQL twin. CONVERT(char(64), binary, 2) is the hex without 0x, in capitals: lowered to compare. */
export const READ_STORED_EVENTS = `SELECT LOWER(CONVERT(varchar(36), i.event_id)) AS event_id, i.payload_hash, i.result
  FROM dbo.sync_inbox AS i
 WHERE i.pdv_id = CAST(@p1 AS varchar(32)) AND i.event_id IN (SELECT CONVERT(uniqueidentifier, j.value) FROM OPENJSON(@p2) AS j)
UNION ALL
SELECT LOWER(CONVERT(varchar(36), p.event_id)), LOWER(CONVERT(char(64), p.payload_hash, 2)), NULL
  FROM dbo.sync_inbox_purged AS p
 WHERE p.pdv_id = CAST(@p1 AS varchar(32)) AND p.event_id IN (SELECT CONVERT(uniqueidentifier, j.value) FROM OPENJSON(@p2) AS j)
   AND NOT EXISTS (SELECT 1 FROM dbo.sync_inbox AS i WHERE i.pdv_id = p.pdv_id AND i.event_id = p.event_id);`;

export const PURGED_AMONG = `SELECT LOWER(CONVERT(varchar(36), p.event_id)) AS event_id
  FROM dbo.sync_inbox_purged AS p
 WHERE p.pdv_id = CAST(@p1 AS varchar(32)) AND p.event_id IN (SELECT CONVERT(uniqueidentifier, j.value) FROM OPENJSON(@p2) AS j);`;

export const SAVE_RESULT = `UPDATE dbo.sync_inbox SET result = @p3 WHERE pdv_id = CAST(@p1 AS varchar(32)) AND event_id = CONVERT(uniqueidentifier, @p2);`;
export const REMOVE_EVENT = `DELETE FROM dbo.sync_inbox WHERE pdv_id = CAST(@p1 AS varchar(32)) AND event_id = CONVERT(uniqueidentifier, @p2);`;
export const ROUTINE_EXISTS = `SELECT CASE WHEN OBJECT_ID(@p1, N'P') IS NULL THEN 0 ELSE 1 END AS found;`;

export const beginSql = (lockTimeoutMs: number): string => `SET LOCK_TIMEOUT ${Math.trunc(lockTimeoutMs)}; SAVE TRANSACTION sync_batch;`;

/** Names were validated against ROUTINE_NAME when the configuration was read; checked again before quoting. */
export const quoteMssqlRoutine = (routine: string): string => `dbo.${quoteIdentifier('mssql', checkedRoutineName(routine))}`;

export const savepointSql = (name: SavepointName): string => `SAVE TRANSACTION ${name};`;
export const rollbackToSql = (name: SavepointName): string => `ROLLBACK TRANSACTION ${name};`;

/** The procedure answers with one row holding a `result` column (or no row). */
export const handlerCallSql = (routine: string): string => `EXEC ${quoteMssqlRoutine(routine)} @payload = @p1, @pdv_id = @p2;`;

export const MSSQL_INBOX_STORE: InboxStore = {
  ...sharedInboxOperations({ readStored: READ_STORED_EVENTS, purgedAmong: PURGED_AMONG, saveResult: SAVE_RESULT, remove: REMOVE_EVENT, handlerCall: handlerCallSql }, (keys) => JSON.stringify(keys)),
  async begin(tx, lockTimeoutMs) {
    // LOCK_TIMEOUT is a session setting: core's mssql adapter puts it back when this transaction ends.
    await tx.executeScript(beginSql(lockTimeoutMs));
  },
  async insertNew(tx, pdvId, events) {
    const { rows } = await tx.query<{ event_id: string }>(INSERT_NEW_EVENTS, [pdvId, eventsJson(events)]);
    return rows.map((row) => row.event_id);
  },
  async routineExists(db, routine) {
    const { rows } = await db.query<{ found: number }>(ROUTINE_EXISTS, [`dbo.${routine}`]);
    return rows[0]?.found === 1;
  },
  describeRoutine: (routine) => `a procedure dbo.${routine}`,
  savepoint: (tx, name) => runStatement(tx, savepointSql(name)),
  rollbackTo: (tx, name) => runStatement(tx, rollbackToSql(name)),
  // SQL Server has no RELEASE SAVEPOINT; a savepoint simply ends with the transaction.
  release: async () => {},
};

function eventsJson(events: readonly InboxEvent[]): string {
  return JSON.stringify(events.map((e) => ({ id: e.key, type: e.type, stream: e.streamKey, hash: e.payloadHash, payload: e.payload })));
}
