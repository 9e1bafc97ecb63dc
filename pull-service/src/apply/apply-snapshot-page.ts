import { ContractError, type Queryable, type SyncRow } from '@goldpdv/core';
import type { SnapshotAnswer } from '../api/central-pull-client.js';
import { checkSnapshotPage, type PageItem } from '../api/page-checks.js';
import type { Checkpoint } from '../db/checkpoint-store.js';
import type { RejectedRow } from '../db/rejected-row-store.js';
import { isAnotherIncarnation, type Step, type StepResult, type TableJob } from '../table-job.js';
import { applyItems, type PageWrite } from './apply-items.js';
import { columnsChange, warnIgnored } from './applied-columns.js';
import { afterRefusal, failedAfterRefusal, findRefusedRows, movesCheckpoint, tableStep, type PageCommit } from './isolate-rows.js';

/**
 * One page of a table's snapshot (after a 410 reset-required): GET /v1/snapshot from the stored cursor, then, in
 * one transaction: delete the local rows the page shows are gone (those after the previous page's last key, up
 * to this page's last key — or with no upper bound after the last page — that the page does not carry), upsert
 * the page, and store the cursor and last key. A crash resumes from the stored cursor. After the last page the
 * table goes back to deltas from the snapshot's version, which replays whatever changed meanwhile.
 *
 * Deleting a local parent row may meet children that still point to it (their own snapshot or deltas have not
 * reached them yet). Such rows are not deleted but deferred: they become the table's pending deletes
 * (apply-items.ts), deleted once the children have moved. So no table waits for another's snapshot, parents
 * keep going first for upserts, and children's deletes effectively happen before their parents'.
 */
export async function applySnapshotPage(job: TableJob, checkpoint: Checkpoint, step: Step): Promise<StepResult> {
  const { plan, logger } = job;
  const starting = checkpoint.snapshotCursor === null;
  const answer = await fetchPage(job, checkpoint, step);
  if (answer === 'cursor-refused' || answer.kind === 'reset-required') {
    await job.checkpoints.startSnapshot(job.db, plan.table);
    const reason = 'the central API no longer accepts the snapshot cursor';
    const fields = answer === 'cursor-refused' ? { reason: 'cursor-refused' } : { minValidVersion: answer.problem.minValidVersion, reason: answer.reason };
    logger.warn(fields, `${reason}; the snapshot starts again`);
    return { kind: 'snapshot-started', reason };
  }
  // The pages before this one came from another incarnation of the central database: they cannot be completed.
  if (!starting && isAnotherIncarnation(checkpoint.incarnation, answer.incarnation)) {
    await job.checkpoints.startSnapshot(job.db, plan.table);
    const reason = 'the central database changed incarnation (restored or failed over) in the middle of the snapshot';
    logger.warn({ incarnation: answer.incarnation, previous: checkpoint.incarnation }, `${reason}; the snapshot starts again`);
    return { kind: 'snapshot-started', reason };
  }
  const page = answer.page;
  const checked = checkSnapshotPage(plan, page, starting ? null : checkpoint.snapshotVersion);
  // Pages already in were written with other columns: their rows would miss the new ones.
  const columnsChanged = starting ? null : columnsChange(checkpoint, checked.applied);
  if (columnsChanged !== null) {
    await job.checkpoints.startSnapshot(job.db, plan.table);
    logger.warn(columnsChanged.fields, `${columnsChanged.message}; the snapshot starts again`);
    return { kind: 'snapshot-started', reason: columnsChanged.message };
  }
  warnIgnored(job, checkpoint, checked.applied);
  if (page.hasMore) job.pages.fetchSnapshotAhead(page.nextCursor, step.signal);
  if (starting) logger.info({ snapshotVersion: page.snapshotVersion }, 'snapshot started');

  const lower = starting ? null : checkpoint.snapshotLastKey;
  const keys = checked.items.map((item) => item.key);
  // A page with no rows that is not the last says nothing about any range of keys.
  const stale = page.hasMore && keys.length === 0 ? null : { keys, lower, upper: page.hasMore ? (keys.at(-1) ?? null) : null };
  const commit = await commitPage(job, checkpoint, answer, { page: checked, pending: checkpoint.pendingDeletes, stale }, lower, step);
  if (commit.kind !== 'committed') return commit;
  if (!page.hasMore) logger.info({ version: page.snapshotVersion }, 'snapshot finished; back to deltas');
  else logger.debug({ rows: commit.applied, rejected: commit.rejected.length }, 'snapshot page applied');
  return { kind: 'progress', more: true, applied: commit.applied, rejected: commit.rejected, lag: null };
}

/**
 * The page, or 'cursor-refused' when the server refused the stored cursor as malformed (400): a cursor of an
 * earlier release, say. The snapshot then starts again; without this it would be asked for again and again.
 */
async function fetchPage(job: TableJob, checkpoint: Checkpoint, step: Step): Promise<SnapshotAnswer | 'cursor-refused'> {
  try {
    return await job.pages.snapshot(checkpoint.snapshotCursor, step.signal);
  } catch (error) {
    if (error instanceof ContractError && checkpoint.snapshotCursor !== null && Number(error.context.status) === 400) return 'cursor-refused';
    throw error;
  }
}

/**
 * The page's rows and the checkpoint in one transaction; refused rows are isolated and the page committed again
 * without them, as for a delta page (apply-delta-page.ts).
 */
type SnapshotPageAnswer = Extract<SnapshotAnswer, { kind: 'page' }>;

async function commitPage(job: TableJob, checkpoint: Checkpoint, answer: SnapshotPageAnswer, write: PageWrite, lower: SyncRow | null, step: Step): Promise<PageCommit> {
  try {
    await job.db.transaction((tx) => writePage(tx, job, checkpoint, answer, write, lower, write.page.items, []));
    return { kind: 'committed', applied: write.page.items.length, rejected: [] };
  } catch (error) {
    const refusal = await findRefusedRows(job, write, error, step.mayWaitForParents);
    if (refusal.kind !== 'refused') return refusal;
    try {
      await job.db.transaction((tx) => writePage(tx, job, checkpoint, answer, write, lower, refusal.good, refusal.rejected));
    } catch (finalError) {
      return failedAfterRefusal(finalError);
    }
    return afterRefusal(job.policy, refusal);
  }
}

async function writePage(
  tx: Queryable,
  job: TableJob,
  checkpoint: Checkpoint,
  answer: SnapshotPageAnswer,
  write: PageWrite,
  lower: SyncRow | null,
  items: readonly PageItem[],
  rejected: RejectedRow[],
): Promise<void> {
  const { page } = answer;
  const keys = write.page.items.map((item) => item.key);
  await tableStep(() => checkKeyOrder(tx, job, lower ? [lower, ...keys] : keys));
  const pendingDeletes = await applyItems(tx, job.rows, write, items);
  await job.rejectedRows.record(tx, rejected);
  if (!movesCheckpoint(job.policy, rejected)) return;
  const rowsApplied = items.length;
  await tableStep(() =>
    page.hasMore
      ? job.checkpoints.saveSnapshotPage(tx, checkpoint, {
          snapshotVersion: page.snapshotVersion, incarnation: answer.incarnation, cursor: page.nextCursor!, lastKey: keys.at(-1) ?? lower, rowsApplied, pendingDeletes, columns: write.page.applied,
        })
      : job.checkpoints.finishSnapshot(tx, checkpoint, { version: page.snapshotVersion, syncToken: answer.syncToken, incarnation: answer.incarnation, rowsApplied, pendingDeletes, columns: write.page.applied }),
  );
}

/**
 * The range deletes are only right if the local database orders keys the way the server paged them (the same
 * collation for text keys, the same uuid order). That is checked, in the local database, on every page,
 * including the step from the previous page's last key; a mismatch stops the table before anything is deleted.
 */
async function checkKeyOrder(tx: Queryable, job: TableJob, keys: readonly SyncRow[]): Promise<void> {
  const outOfOrder = await job.rows.countKeysOutOfOrder(tx, keys);
  if (outOfOrder > 0) {
    throw new ContractError(
      `table ${job.plan.table}: ${outOfOrder} key(s) of the snapshot page are not in ascending local key order; ranges cannot be trusted, so nothing is deleted`,
      { context: { table: job.plan.table } },
    );
  }
}
