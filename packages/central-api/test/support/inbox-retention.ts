import type { Database } from '@goldpdv/core';
import { placeholder } from './stock.js';

/** A handler that counts its calls (test_handler_call) and answers a result text: what "never reaches a handler" is checked with. */
export async function createCountingHandler(db: Database): Promise<void> {
  if (db.dialect === 'mssql') {
    await db.executeScript('CREATE TABLE dbo.test_handler_call (n int IDENTITY(1, 1) NOT NULL PRIMARY KEY, payload nvarchar(max) NOT NULL);');
    await db.executeScript(`CREATE PROCEDURE dbo.sync_handle_counted @payload nvarchar(max), @pdv_id varchar(32) AS
BEGIN
    SET NOCOUNT ON;
    INSERT INTO dbo.test_handler_call (payload) VALUES (@payload);
    SELECT N'{"counted":true}' AS result;
END;`);
    return;
  }
  await db.executeScript(`CREATE TABLE test_handler_call (n serial PRIMARY KEY, payload text NOT NULL);
CREATE FUNCTION sync_handle_counted(p_payload text, p_pdv_id varchar) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO test_handler_call (payload) VALUES (p_payload);
    RETURN '{"counted":true}';
END
$$;`);
}

export async function handlerCalls(db: Database): Promise<number> {
  const { rows } = await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM test_handler_call');
  return Number(rows[0]!.n);
}

/** Moves the arrival of these events `days` into the past, as if they had been received then. */
export async function backdate(db: Database, eventIds: readonly string[], days: number): Promise<void> {
  if (db.dialect === 'mssql') {
    await db.query('UPDATE dbo.sync_inbox SET received_at = DATEADD(day, -@p1, received_at) WHERE event_id IN (SELECT CONVERT(uniqueidentifier, j.value) FROM OPENJSON(@p2) AS j)', [days, JSON.stringify(eventIds)]);
    return;
  }
  await db.query('UPDATE sync_inbox SET received_at = received_at - make_interval(days => $1::int) WHERE event_id = ANY ($2::uuid[])', [days, eventIds]);
}

export interface PurgedRecord {
  pdvId: string;
  eventId: string;
  outcome: number;
  payloadHash: string;
}

export async function purgedRecords(db: Database, eventIds: readonly string[]): Promise<PurgedRecord[]> {
  const sql =
    db.dialect === 'mssql'
      ? `SELECT pdv_id, LOWER(CONVERT(varchar(36), event_id)) AS event_id, outcome, LOWER(CONVERT(char(64), payload_hash, 2)) AS payload_hash
           FROM dbo.sync_inbox_purged WHERE event_id IN (SELECT CONVERT(uniqueidentifier, j.value) FROM OPENJSON(@p1) AS j)`
      : `SELECT pdv_id, event_id::text AS event_id, outcome, encode(payload_hash, 'hex') AS payload_hash FROM sync_inbox_purged WHERE event_id = ANY ($1::uuid[])`;
  const { rows } = await db.query<{ pdv_id: string; event_id: string; outcome: number; payload_hash: string }>(sql, [db.dialect === 'mssql' ? JSON.stringify(eventIds) : eventIds]);
  return rows
    .map((row) => ({ pdvId: row.pdv_id, eventId: row.event_id, outcome: Number(row.outcome), payloadHash: row.payload_hash }))
    .sort((a, b) => a.eventId.localeCompare(b.eventId));
}

/** How many of these events still have an inbox row. */
export async function inboxRowsOf(db: Database, eventIds: readonly string[]): Promise<number> {
  const sql =
    db.dialect === 'mssql'
      ? 'SELECT COUNT(*) AS n FROM dbo.sync_inbox WHERE event_id IN (SELECT CONVERT(uniqueidentifier, j.value) FROM OPENJSON(@p1) AS j)'
      : 'SELECT COUNT(*) AS n FROM sync_inbox WHERE event_id = ANY ($1::uuid[])';
  const { rows } = await db.query<{ n: number | string }>(sql, [db.dialect === 'mssql' ? JSON.stringify(eventIds) : eventIds]);
  return Number(rows[0]!.n);
}

export async function vendaExists(db: Database, vendaId: string): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 AS found FROM venda_central WHERE venda_id = ${placeholder(db, 1)}`, [vendaId]);
  return rows.length > 0;
}
