import type { Queryable } from '@goldpdv/core';

export interface OutboxBacklog {
  pending: number;
  oldestPendingAgeSeconds: number | null;
  deadLetters: number;
}

const BACKLOG_SQL = {
  postgres: `SELECT
  (SELECT COUNT(*) FROM sync_outbox WHERE sent_at IS NULL) AS pending,
  (SELECT EXTRACT(EPOCH FROM now() - MIN(created_at)) FROM sync_outbox WHERE sent_at IS NULL) AS oldest_age_s,
  (SELECT COUNT(*) FROM sync_dead_letter) AS dead_letters`,
  mssql: `SELECT
  (SELECT COUNT_BIG(*) FROM dbo.sync_outbox WHERE sent_at IS NULL) AS pending,
  (SELECT DATEDIFF_BIG(SECOND, MIN(created_at), SYSUTCDATETIME()) FROM dbo.sync_outbox WHERE sent_at IS NULL) AS oldest_age_s,
  (SELECT COUNT_BIG(*) FROM dbo.sync_dead_letter) AS dead_letters`,
} as const;

/** What an operator asks first: how much is waiting, since when, and how much was set aside. */
export async function readOutboxBacklog(db: Queryable): Promise<OutboxBacklog> {
  const { rows } = await db.query<{ pending: string | number; oldest_age_s: string | number | null; dead_letters: string | number }>(BACKLOG_SQL[db.dialect]);
  const row = rows[0]!;
  return {
    pending: Number(row.pending),
    oldestPendingAgeSeconds: row.oldest_age_s === null ? null : Math.round(Number(row.oldest_age_s)),
    deadLetters: Number(row.dead_letters),
  };
}

export { BACKLOG_SQL };
