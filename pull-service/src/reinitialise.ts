import { ContractError, type Queryable, type SyncRow } from '@goldpdv/core';
import { applyPage } from './apply-page.js';
import { finishSnapshot, saveSnapshotPage, startSnapshot, type Checkpoint } from './checkpoint-store.js';
import { checkSnapshotPage } from './page-validation.js';
import type { StepResult, TableContext } from './table-step.js';

/**
 * One page of a table's re-initialisation (after a 410 reset-required): GET /v1/snapshot from the stored cursor,
 * then, in one transaction: delete the local rows the page shows are gone (those after the previous page's last
 * key, up to this page's last key — or with no upper bound after the last page — that the page does not carry),
 * upsert the page, and store the cursor and last key. A crash resumes from the stored cursor. After the last
 * page the table goes back to deltas from the snapshot's version, which replays whatever changed meanwhile.
 *
 * Deleting a local parent row may meet children that still point to it (their own re-initialisation or deltas
 * have not reached them yet). Such rows are not deleted but deferred: they become the table's pending deletes
 * (apply-items.ts), deleted once the children have moved. So no table waits for another's re-initialisation,
 * parents keep going first for upserts, and children's deletes effectively happen before their parents'.
 */
export async function pullSnapshotPage(ctx: TableContext, checkpoint: Checkpoint): Promise<StepResult> {
  const { db, plan, logger } = ctx;
  const starting = checkpoint.snapshotCursor === null;
  const fetchPage = (cursor: string | null) => () => ctx.client.snapshot(plan.table, cursor, plan.pageSize, ctx.signal);
  const keyOf = (cursor: string | null) => `snapshot:${cursor ?? ''}`;
  const answer = await ctx.prefetch.take(plan.table, keyOf(checkpoint.snapshotCursor), fetchPage(checkpoint.snapshotCursor));
  if (answer.kind === 'reset') {
    await startSnapshot(db, plan.table);
    const reason = 'the central API no longer accepts the snapshot cursor';
    logger.warn({ minValidVersion: answer.problem.minValidVersion }, `${reason}; the re-initialisation starts again`);
    return { kind: 'reset', reason };
  }
  const page = answer.page;
  const checked = checkSnapshotPage(plan, page, starting ? null : checkpoint.snapshotVersion);
  if (page.hasMore) ctx.prefetch.start(plan.table, keyOf(page.nextCursor), fetchPage(page.nextCursor));
  if (starting) logger.info({ snapshotVersion: page.snapshotVersion }, 're-initialisation started');

  const lower = starting ? null : checkpoint.snapshotLastKey;
  const keys = checked.items.map((item) => item.key);
  const pageLast = keys.at(-1) ?? null;
  const outcome = await applyPage({
    db,
    plan,
    sql: ctx.sql,
    // A page with no rows that is not the last says nothing about any range of keys.
    write: { page: checked, pending: checkpoint.pendingDeletes, stale: page.hasMore && keys.length === 0 ? null : { keys, lower, upper: page.hasMore ? pageLast : null } },
    policy: ctx.policy,
    mayWaitForParents: ctx.mayWaitForParents,
    prepare: (tx) => checkKeyOrder(ctx, tx, lower, keys),
    advance: (tx, rowsApplied, pendingDeletes) =>
      page.hasMore
        ? saveSnapshotPage(tx, checkpoint, { snapshotVersion: page.snapshotVersion, cursor: page.nextCursor!, lastKey: pageLast ?? lower, rowsApplied, pendingDeletes })
        : finishSnapshot(tx, checkpoint, { version: page.snapshotVersion, rowsApplied, pendingDeletes }),
  });
  switch (outcome.kind) {
    case 'applied':
      if (!page.hasMore) logger.info({ version: page.snapshotVersion }, 're-initialisation finished; back to deltas');
      else logger.debug({ rows: outcome.applied, rejected: outcome.rejected.length }, 'snapshot page applied');
      return { kind: 'progress', more: true, applied: outcome.applied, rejected: outcome.rejected, lag: null };
    case 'held':
      return { kind: 'held', reason: outcome.reason, applied: outcome.applied, rejected: outcome.rejected };
    case 'waiting':
    case 'failed':
      return outcome;
  }
}

/**
 * The range deletes are only right if the local database orders keys the way the server paged them (the same
 * collation for text keys, the same uuid order). That is checked, in the local database, on every page,
 * including the step from the previous page's last key; a mismatch stops the table before anything is deleted.
 */
async function checkKeyOrder(ctx: TableContext, tx: Queryable, lower: SyncRow | null, keys: readonly SyncRow[]): Promise<void> {
  const sequence = lower ? [lower, ...keys] : keys;
  if (sequence.length < 2) return;
  const positioned = sequence.map((key, position) => ({ ...key, '#': position }));
  const { rows } = await tx.query<{ out_of_order: string | number }>(ctx.sql.keyOrderCheck, [JSON.stringify(positioned)]);
  const outOfOrder = Number(rows[0]?.out_of_order ?? 0);
  if (outOfOrder > 0) {
    throw new ContractError(
      `table ${ctx.plan.table}: ${outOfOrder} key(s) of the snapshot page are not in ascending local key order; ranges cannot be trusted, so nothing is deleted`,
      { context: { table: ctx.plan.table } },
    );
  }
}
