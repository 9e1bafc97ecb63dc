import type { Queryable } from '@goldpdv/core';

/** One event on its way into sync_inbox; `key` is the lowercased event id, the dedupe key with the PDV id. */
export interface InboxEvent {
  key: string;
  type: string;
  streamKey: string;
  payloadHash: string;
  payload: string;
}

export interface StoredInboxEvent {
  key: string;
  payloadHash: string;
  result: string | null;
}

/** Savepoints used by the ingest transaction. */
export type SavepointName = 'sync_batch' | 'sync_item' | 'sync_handler';

/**
 * The inbox operations, one statement each, all inside the caller's transaction. One store per dialect
 * (inbox-store.postgres.ts, inbox-store.mssql.ts), chosen once when the server starts (dialect-stores.ts).
 */
export interface InboxStore {
  /** First statements of the ingest transaction: bound lock waits, then savepoint sync_batch. */
  begin(tx: Queryable, lockTimeoutMs: number): Promise<void>;
  /** Inserts the events whose key is not stored yet for this PDV, in one statement; returns the inserted keys. */
  insertNew(tx: Queryable, pdvId: string, events: readonly InboxEvent[]): Promise<string[]>;
  /** The stored fingerprints of `keys`: inbox rows, and the key-only records of purged events (result null). */
  readStored(tx: Queryable, pdvId: string, keys: readonly string[]): Promise<StoredInboxEvent[]>;
  /**
   * Which of `keys`, just inserted, have a key-only record of a purge. Empty but for one race: a replay whose
   * insert waited on the inbox row a purge was deleting. PostgreSQL then finds the key free once the purge
   * commits, and the insert's own NOT EXISTS had read sync_inbox_purged before that commit; a later statement
   * sees it.
   */
  purgedAmong(tx: Queryable, pdvId: string, keys: readonly string[]): Promise<string[]>;
  saveResult(tx: Queryable, pdvId: string, key: string, result: string | null): Promise<void>;
  remove(tx: Queryable, pdvId: string, key: string): Promise<void>;
  /** Runs the handler routine on one payload; resolves with the text it returns (null when none). */
  callHandler(tx: Queryable, routine: string, payload: string, pdvId: string): Promise<string | null>;
  routineExists(db: Queryable, routine: string): Promise<boolean>;
  /** What the database must hold for `routine`, as the start-up error names it when it is missing. */
  describeRoutine(routine: string): string;
  savepoint(tx: Queryable, name: SavepointName): Promise<void>;
  rollbackTo(tx: Queryable, name: SavepointName): Promise<void>;
  release(tx: Queryable, name: SavepointName): Promise<void>;
}

/** The statements both dialects run the same way; each store supplies its own text. */
export interface InboxStatements {
  /** (pdv_id, key) -> the stored rows' event_id, payload_hash, result */
  readStored: string;
  /** (pdv_id, key) -> the event_id of those with a record in sync_inbox_purged */
  purgedAmong: string;
  /** (pdv_id, key, result) */
  saveResult: string;
  /** (pdv_id, key) */
  remove: string;
  /** (payload, pdv_id) -> one row holding `result`, or none */
  handlerCall(routine: string): string;
}

type SharedOperations = Pick<InboxStore, 'readStored' | 'purgedAmong' | 'saveResult' | 'remove' | 'callHandler'>;

/**
 * The operations whose logic is the same in both dialects. `keysParam` shapes the list of keys into the one
 * parameter readStored takes (an array on PostgreSQL, JSON text for OPENJSON on SQL Server).
 */
export function sharedInboxOperations(sql: InboxStatements, keysParam: (keys: readonly string[]) => unknown): SharedOperations {
  return {
    async readStored(tx, pdvId, keys) {
      const { rows } = await tx.query<{ event_id: string; payload_hash: string; result: string | null }>(sql.readStored, [pdvId, keysParam(keys)]);
      return rows.map((row) => ({ key: row.event_id, payloadHash: row.payload_hash, result: row.result }));
    },
    async purgedAmong(tx, pdvId, keys) {
      if (keys.length === 0) return [];
      const { rows } = await tx.query<{ event_id: string }>(sql.purgedAmong, [pdvId, keysParam(keys)]);
      return rows.map((row) => row.event_id);
    },
    async saveResult(tx, pdvId, key, result) {
      await tx.query(sql.saveResult, [pdvId, key, result]);
    },
    async remove(tx, pdvId, key) {
      await tx.query(sql.remove, [pdvId, key]);
    },
    async callHandler(tx, routine, payload, pdvId) {
      const { rows } = await tx.query<{ result: string | null }>(sql.handlerCall(routine), [payload, pdvId]);
      return rows[0]?.result ?? null;
    },
  };
}

/** Runs one statement that returns nothing worth reading (savepoints). */
export async function runStatement(tx: Queryable, sql: string): Promise<void> {
  await tx.query(sql);
}
