import type { DialectName, Queryable } from '@goldpdv/core';
import { MSSQL_INBOX } from './inbox-sql.mssql.js';
import { POSTGRES_INBOX } from './inbox-sql.postgres.js';

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
 * The inbox operations of one dialect, one statement each, all inside the caller's transaction. The SQL lives
 * in inbox-sql.postgres.ts and inbox-sql.mssql.ts.
 */
export interface InboxDialect {
  /** First statements of the ingest transaction: bound lock waits, then savepoint sync_batch. */
  begin(tx: Queryable, lockTimeoutMs: number): Promise<void>;
  /** Inserts the events whose key is not stored yet for this PDV, in one statement; returns the inserted keys. */
  insertNew(tx: Queryable, pdvId: string, events: readonly InboxEvent[]): Promise<string[]>;
  readStored(tx: Queryable, pdvId: string, keys: readonly string[]): Promise<StoredInboxEvent[]>;
  saveResult(tx: Queryable, pdvId: string, key: string, result: string | null): Promise<void>;
  remove(tx: Queryable, pdvId: string, key: string): Promise<void>;
  /** Runs the handler routine on one payload; resolves with the text it returns (null when none). */
  callHandler(tx: Queryable, routine: string, payload: string, pdvId: string): Promise<string | null>;
  routineExists(db: Queryable, routine: string): Promise<boolean>;
  savepoint(tx: Queryable, name: SavepointName): Promise<void>;
  rollbackTo(tx: Queryable, name: SavepointName): Promise<void>;
  release(tx: Queryable, name: SavepointName): Promise<void>;
}

export const INBOX_DIALECTS: Record<DialectName, InboxDialect> = { postgres: POSTGRES_INBOX, mssql: MSSQL_INBOX };
