import { setTimeout as sleep } from 'node:timers/promises';
import type { Database, DialectName } from '@goldpdv/core';
import type { InboxPurgeStore } from './inbox-purge-store.js';
import { MSSQL_INBOX_PURGE_STORE } from './inbox-purge-store.mssql.js';
import { POSTGRES_INBOX_PURGE_STORE } from './inbox-purge-store.postgres.js';

const STORES: Record<DialectName, InboxPurgeStore> = { postgres: POSTGRES_INBOX_PURGE_STORE, mssql: MSSQL_INBOX_PURGE_STORE };

/** Rows per delete: one short transaction each, so that ingest never waits long behind it. */
export const PURGE_BATCH_SIZE = 1_000;
/** Between two batches that deleted rows: the database serves ingest meanwhile, whatever the backlog. */
export const PURGE_PAUSE_MS = 100;
/** A purge batch waits at most this long for a lock; it skips held rows, so a wait is rare. */
export const PURGE_LOCK_TIMEOUT_MS = 2_000;

export interface InboxPurgeOptions {
  db: Database;
  /** Rows received more than this many days ago are purged. */
  olderThanDays: number;
  batchSize?: number;
  pauseMs?: number;
  lockTimeoutMs?: number;
  /** Checked before every batch: a stopping server ends the run between two batches. */
  shouldStop?: () => boolean;
}

export interface InboxPurgeResult {
  /** Inbox rows deleted. */
  deleted: number;
  /** Key-only records written; fewer than deleted only for keys recorded before. */
  recorded: number;
  batches: number;
  /** PDVs whose inbox rows were looked at. */
  pdvs: number;
  /** True when shouldStop ended the run before every PDV was done. */
  stopped: boolean;
}

/**
 * Purges the inbox rows older than `olderThanDays`, PDV by PDV, oldest first, in batches of `batchSize` rows,
 * each batch one transaction that deletes the rows and records their keys in sync_inbox_purged. Safe to run on
 * several replicas at once: each batch skips the rows another one holds, and the leftovers wait for a next run.
 */
export async function purgeInbox(options: InboxPurgeOptions): Promise<InboxPurgeResult> {
  const { db } = options;
  const store = STORES[db.dialect];
  const batchSize = options.batchSize ?? PURGE_BATCH_SIZE;
  const pauseMs = options.pauseMs ?? PURGE_PAUSE_MS;
  const lockTimeoutMs = options.lockTimeoutMs ?? PURGE_LOCK_TIMEOUT_MS;
  const shouldStop = options.shouldStop ?? (() => false);
  const result: InboxPurgeResult = { deleted: 0, recorded: 0, batches: 0, pdvs: 0, stopped: false };

  let pdvId: string | null = '';
  while ((pdvId = await store.nextPdv(db, pdvId)) !== null) {
    result.pdvs += 1;
    for (;;) {
      if (shouldStop()) return { ...result, stopped: true };
      const batch = { pdvId, olderThanDays: options.olderThanDays, batchSize };
      const done = await db.transaction((tx) => store.purgeBatch(tx, batch, lockTimeoutMs));
      result.batches += 1;
      result.deleted += done.deleted;
      result.recorded += done.recorded;
      if (done.deleted > 0 && pauseMs > 0) await sleep(pauseMs);
      // A short batch is the PDV's last (rows held by another replica are left for the next run).
      if (done.deleted < batchSize) break;
    }
  }
  return result;
}
