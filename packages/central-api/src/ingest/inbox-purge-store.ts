import type { Queryable } from '@goldpdv/core';

/** What one purge batch did: inbox rows deleted, and key-only records written for them. */
export interface PurgeBatchResult {
  deleted: number;
  recorded: number;
}

/** One batch of one PDV: at most `batchSize` inbox rows received more than `olderThanDays` days ago. */
export interface PurgeBatch {
  pdvId: string;
  olderThanDays: number;
  batchSize: number;
}

/** The codes of sync_inbox_purged.outcome (0016_inbox_retention.sql): what a replay of a purged event is answered. */
export const PURGED_OUTCOME = { appliedWithoutResult: 1, appliedWithResult: 2 } as const;

/** The inbox retention's statements, one store per dialect (inbox-purge-store.postgres.ts, .mssql.ts). */
export interface InboxPurgeStore {
  /** The first PDV id after `after` ('' for the first) that has inbox rows, or null past the last one. */
  nextPdv(db: Queryable, after: string): Promise<string | null>;
  /**
   * Inside the caller's transaction: bounds its lock waits, then deletes one batch of settled (status 'applied')
   * rows, oldest first, skipping rows another transaction holds, and records each deleted key in
   * sync_inbox_purged in the same transaction.
   */
  purgeBatch(tx: Queryable, batch: PurgeBatch, lockTimeoutMs: number): Promise<PurgeBatchResult>;
}

/** Days as the statements take them: checked again here, since they are part of a date computation. */
export function checkedDays(days: number): number {
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`inbox purge: expected a whole number of days >= 1; found ${days}`);
  return days;
}
