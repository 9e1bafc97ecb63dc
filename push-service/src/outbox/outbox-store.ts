import type { Database, DialectName } from '@goldpdv/core';
import type { DeadLetterRow, OutboxRow, RowOutcome } from './outbox-row.js';
import { MssqlOutboxStore } from './outbox-store.mssql.js';
import { PostgresOutboxStore } from './outbox-store.postgres.js';

export interface ClaimOptions {
  owner: string;
  leaseMs: number;
  limit: number;
  /** Lanes claiming side by side (all instances together); a claim takes at most 1/lanes of the streams. */
  lanes?: number;
}

export interface OutboxBacklog {
  pending: number;
  inFlight: number;
  oldestPendingAgeSeconds: number | null;
  deadLetters: number;
}

/** Every outbox operation the worker and the CLI perform, one method each, on one database. */
export interface OutboxStore {
  /** Claims a prefix of each due stream under a lease, in one transaction; rows come back in outbox order. */
  claimBatch(options: ClaimOptions): Promise<OutboxRow[]>;
  /**
   * Applies the outcomes of one send in one transaction: sent, rescheduled, or moved to dead letters. A retry or
   * a dead letter applies only while the row is still held by the claim that sent it (a worker whose lease ran
   * out mid-send must not free a row that another worker has claimed since); a success always applies, since
   * the central API holds the event either way. Returns the outcomes that were dropped for that reason.
   */
  recordOutcomes(outcomes: readonly RowOutcome[]): Promise<RowOutcome[]>;
  /** Hands back every claim of `worker` on a clean stop, without counting them as unfinished; returns how many rows. */
  releaseLeases(worker: string): Promise<number>;
  /** Deletes at most `batchSize` sent rows older than the audit window; returns how many went. */
  purgeSentRows(retentionHours: number, batchSize: number): Promise<number>;
  readBacklog(): Promise<OutboxBacklog>;
  listDeadLetters(limit?: number): Promise<DeadLetterRow[]>;
  findDeadLetter(eventId: string): Promise<DeadLetterRow | null>;
  /** Moves one dead letter (or all, with null) back to the outbox; returns the requeued event ids. */
  requeueDeadLetters(eventId: string | null): Promise<string[]>;
  /** Brings the planner's statistics of the outbox up to date where the database does not do it itself. */
  refreshStatistics(): Promise<void>;
}

const STORES: Record<DialectName, new (db: Database) => OutboxStore> = {
  mssql: MssqlOutboxStore,
  postgres: PostgresOutboxStore,
};

/** The outbox store of the database's dialect; made once, when the worker or the CLI starts. */
export function createOutboxStore(db: Database): OutboxStore {
  return new STORES[db.dialect](db);
}
