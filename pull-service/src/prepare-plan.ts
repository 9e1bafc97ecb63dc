import type { Logger } from './logger.js';
import type { Database } from '@goldpdv/core';
import { ensureCheckpoints, readCheckpoints } from './checkpoint-store.js';
import { readLocalSchema } from './local-schema.js';
import { buildSyncPlan, type SyncPlan } from './table-plan.js';
import type { MappingFile } from './table-mapping.js';
import type { TableStatusBoard } from './table-status.js';

/**
 * Start-up against the local database (after the schema scripts ran): check the mapping against the catalog,
 * report every table that cannot be pulled before any row moves, make sure each pulled table has its checkpoint
 * row, and put every table on the status board.
 */
export async function preparePlan(db: Database, mapping: MappingFile, pageSize: number, board: TableStatusBoard, logger: Logger): Promise<SyncPlan> {
  const localNames = mapping.tables.map((table) => table.localTable);
  const schema = await readLocalSchema(db, localNames);
  const plan = buildSyncPlan(db.dialect, mapping, schema, pageSize);
  if (plan.orderWarning) logger.warn({ file: mapping.file }, plan.orderWarning);
  await ensureCheckpoints(db, plan.tables.map((table) => table.table));
  const checkpoints = await readCheckpoints(db);
  for (const table of plan.tables) {
    const checkpoint = checkpoints.get(table.table);
    board.track(table.table, checkpoint?.mode ?? 'delta', checkpoint?.lastSuccessAt ?? null);
  }
  for (const problem of plan.problems) {
    board.track(problem.table, 'delta', null);
    board.failed(problem.table, `mapping: ${problem.message}`, { permanent: true });
  }
  board.publish();
  logger.info(
    { file: mapping.file, order: plan.tables.map((table) => table.table), notPulled: plan.problems.map((problem) => problem.table) },
    'table mapping checked against the local database',
  );
  return plan;
}
