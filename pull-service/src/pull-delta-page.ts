import { ContractError } from '@goldpdv/core';
import { retryPendingDeletes } from './apply-items.js';
import { applyPage } from './apply-page.js';
import { advanceDelta, clearDeltaCursor, startSnapshot, type Checkpoint } from './checkpoint-store.js';
import { checkChangesPage } from './page-validation.js';
import { lagOf, type StepResult, type TableContext } from './table-step.js';

/**
 * One delta page of one table: GET /v1/changes since the checkpoint (continuing the window's cursor, if any),
 * check it, apply it and move the checkpoint in one transaction. The checkpoint's version moves to toVersion
 * only when the window's last page is in; until then the cursor of the next page is what moves.
 */
export async function pullDeltaPage(ctx: TableContext, checkpoint: Checkpoint): Promise<StepResult> {
  const { db, plan, logger } = ctx;
  const fetchPage = (cursor: string | null) => () => ctx.client.changes(plan.table, { since: checkpoint.version, cursor, limit: plan.pageSize, waitMs: 0 }, ctx.signal);
  const keyOf = (cursor: string | null) => `changes:${checkpoint.version}:${cursor ?? ''}`;
  let answer;
  try {
    answer = await ctx.prefetch.take(plan.table, keyOf(checkpoint.deltaCursor), fetchPage(checkpoint.deltaCursor));
  } catch (error) {
    // A cursor from before a server upgrade (say) may be refused; the window simply starts again.
    if (error instanceof ContractError && checkpoint.deltaCursor !== null && Number(error.context.status) >= 400) {
      await clearDeltaCursor(db, plan.table);
      logger.warn({ err: error }, 'the central API refused the stored page cursor; the delta window starts again from the checkpoint');
      return { kind: 'progress', more: true, applied: 0, rejected: [], lag: null };
    }
    throw error;
  }
  if (answer.kind === 'reset') {
    const problem = answer.problem;
    if (problem.table !== plan.table) throw new ContractError(`table ${plan.table}: the reset-required answer names table ${JSON.stringify(problem.table)}`, { context: { table: plan.table } });
    await startSnapshot(db, plan.table);
    const reason = `checkpoint ${checkpoint.version} is older than the oldest version the central API still tracks (${problem.minValidVersion})`;
    logger.warn({ since: checkpoint.version, minValidVersion: problem.minValidVersion }, `${reason}; re-initialising the table from a snapshot`);
    return { kind: 'reset', reason };
  }

  const page = answer.page;
  const checked = checkChangesPage(plan, page, checkpoint.version);
  if (page.hasMore) ctx.prefetch.start(plan.table, keyOf(page.nextCursor), fetchPage(page.nextCursor));
  const target = page.hasMore ? { version: checkpoint.version, cursor: page.nextCursor } : { version: page.toVersion, cursor: null };
  const move = { ...target, toVersion: page.toVersion };
  const lag = lagOf(page.toVersion, target.version);

  if (checked.items.length === 0) {
    const unchanged = target.version === checkpoint.version && target.cursor === checkpoint.deltaCursor;
    // Versions move even when this table did not change; a checkpoint left behind would fall out of the server's
    // retention window and force a needless re-initialisation.
    if (!unchanged || checkpoint.pendingDeletes.length > 0) {
      await db.transaction(async (tx) => {
        const pendingDeletes = await retryPendingDeletes(tx, ctx.sql, checkpoint.pendingDeletes);
        await advanceDelta(tx, checkpoint, { ...move, rowsApplied: 0, pendingDeletes });
      });
    }
    return page.hasMore ? { kind: 'progress', more: true, applied: 0, rejected: [], lag } : { kind: 'idle', lag };
  }

  const outcome = await applyPage({
    db,
    plan,
    sql: ctx.sql,
    write: { page: checked, pending: checkpoint.pendingDeletes },
    policy: ctx.policy,
    mayWaitForParents: ctx.mayWaitForParents,
    advance: (tx, rowsApplied, pendingDeletes) => advanceDelta(tx, checkpoint, { ...move, rowsApplied, pendingDeletes }),
  });
  switch (outcome.kind) {
    case 'applied':
      logger.debug({ rows: outcome.applied, rejected: outcome.rejected.length, toVersion: page.toVersion, hasMore: page.hasMore }, 'delta page applied');
      return { kind: 'progress', more: page.hasMore, applied: outcome.applied, rejected: outcome.rejected, lag };
    case 'held':
      return { kind: 'held', reason: outcome.reason, applied: outcome.applied, rejected: outcome.rejected };
    case 'waiting':
    case 'failed':
      return outcome;
  }
}
