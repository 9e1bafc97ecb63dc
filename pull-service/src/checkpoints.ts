import type { Queryable } from '@goldpdv/core';

export interface CheckpointSummary {
  tables: number;
  failingTables: number;
}

const SUMMARY_SQL = {
  postgres: `SELECT COUNT(*) AS tables, COUNT(last_error) AS failing FROM sync_checkpoint`,
  mssql: `SELECT COUNT_BIG(*) AS tables, COUNT_BIG(last_error) AS failing FROM dbo.sync_checkpoint`,
} as const;

/** How many tables have a checkpoint, and how many of them last failed. */
export async function readCheckpointSummary(db: Queryable): Promise<CheckpointSummary> {
  const { rows } = await db.query<{ tables: string | number; failing: string | number }>(SUMMARY_SQL[db.dialect]);
  return { tables: Number(rows[0]!.tables), failingTables: Number(rows[0]!.failing) };
}

export { SUMMARY_SQL };
