import type { Queryable } from '@goldpdv/core';

export interface ChangeLogCleanupOptions {
  /** Entries older than this go; default: now minus sync_settings.change_retention_days. */
  cutoff?: Date;
  batchSize?: number;
  /** Bound on one run, so a huge backlog is worked off over several runs rather than in one long stretch. */
  maxBatches?: number;
}

export interface ChangeLogCleanupResult {
  deleted: number;
  batches: number;
}

const CLEANUP_SQL = 'SELECT sync_change_log_cleanup($1::timestamptz, $2::integer)::text AS deleted';

/**
 * PostgreSQL change-log retention (sync_change_log_cleanup in 0005_change_log_retention.sql): deletes old
 * entries in batches, each batch its own transaction that also raises the tables' min_valid_version.
 */
export async function cleanupChangeLog(db: Queryable, options: ChangeLogCleanupOptions = {}): Promise<ChangeLogCleanupResult> {
  const batchSize = options.batchSize ?? 10_000;
  const maxBatches = options.maxBatches ?? 100;
  const cutoff = options.cutoff ? options.cutoff.toISOString() : null;
  let deleted = 0;
  let batches = 0;
  while (batches < maxBatches) {
    const row = (await db.query<{ deleted: string }>(CLEANUP_SQL, [cutoff, batchSize])).rows[0];
    const count = Number(row?.deleted ?? 0);
    deleted += count;
    batches += 1;
    if (count < batchSize) break;
  }
  return { deleted, batches };
}
