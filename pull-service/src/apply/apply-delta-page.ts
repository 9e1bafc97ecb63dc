import { ContractError, type Queryable } from '@goldpdv/core';
import type { ChangesAnswer, ResetRequiredAnswer } from '../api/central-pull-client.js';
import { checkChangesPage, type PageItem } from '../api/page-checks.js';
import type { AppliedColumns, Checkpoint } from '../db/checkpoint-store.js';
import type { SnapshotCause } from './applied-columns.js';
import type { RejectedRow } from '../db/rejected-row-store.js';
import { isAnotherIncarnation, lagOf, type Step, type StepResult, type TableJob } from '../table-job.js';
import { applyItems, retryPendingDeletes, type PageWrite } from './apply-items.js';
import { columnsChange, warnIgnored } from './applied-columns.js';
import { afterRefusal, failedAfterRefusal, findRefusedRows, movesCheckpoint, tableStep, type PageCommit } from './isolate-rows.js';

/** Where the page leaves the checkpoint: the window's end, or (more pages to come) the next page's cursor. */
interface DeltaTarget {
  version: string;
  cursor: string | null;
  toVersion: string;
  syncToken: string | null;
  incarnation: string | null;
  columns: AppliedColumns;
}

/**
 * One delta page of one table: GET /v1/changes since the checkpoint (continuing the window's cursor, if any),
 * check it, then apply it and move the checkpoint in one transaction. The checkpoint's version moves to toVersion
 * only when the window's last page is in; until then the cursor of the next page is what moves.
 */
export async function applyDeltaPage(job: TableJob, checkpoint: Checkpoint, step: Step): Promise<StepResult> {
  const answer = await fetchPage(job, checkpoint, step);
  if (answer === 'cursor-refused') return { kind: 'progress', more: true, applied: 0, rejected: [], lag: null };
  if (answer.kind === 'reset-required') return startSnapshot(job, checkpoint, resetOf(job, checkpoint, answer));
  if (isAnotherIncarnation(checkpoint.incarnation, answer.incarnation)) {
    return startSnapshot(job, checkpoint, {
      message: `the central database is not the one this table was loaded from (incarnation ${answer.incarnation}, was ${checkpoint.incarnation}): it was restored or failed over`,
      fields: { reason: 'incarnation', incarnation: answer.incarnation, previous: checkpoint.incarnation },
    });
  }

  const page = answer.page;
  const checked = checkChangesPage(job.plan, page, checkpoint.version, checkpoint.deltaCursor === null ? null : checkpoint.deltaToVersion);
  const columnsChanged = columnsChange(checkpoint, checked.applied);
  if (columnsChanged !== null) return startSnapshot(job, checkpoint, columnsChanged);
  warnIgnored(job, checkpoint, checked.applied);
  // The token may come back under a newer key; an older central API sends none, and the stored one stays.
  const meta = { syncToken: answer.syncToken ?? checkpoint.syncToken, incarnation: answer.incarnation ?? checkpoint.incarnation, columns: checked.applied };
  if (page.hasMore) job.pages.fetchChangesAhead(checkpoint.version, page.nextCursor, meta.syncToken, step.signal);
  const target: DeltaTarget = page.hasMore
    ? { version: checkpoint.version, cursor: page.nextCursor, toVersion: page.toVersion, ...meta }
    : { version: page.toVersion, cursor: null, toVersion: page.toVersion, ...meta };
  const lag = lagOf(page.toVersion, target.version);
  if (checked.items.length === 0) {
    job.logger.trace({ since: checkpoint.version, cursor: checkpoint.deltaCursor, toVersion: page.toVersion, hasMore: page.hasMore }, 'delta page without rows');
    await moveWithoutRows(job, checkpoint, target);
    return page.hasMore ? { kind: 'progress', more: true, applied: 0, rejected: [], lag } : { kind: 'idle', lag };
  }

  const commit = await commitPage(job, checkpoint, target, { page: checked, pending: checkpoint.pendingDeletes }, step);
  if (commit.kind !== 'committed') return commit;
  job.logger.debug({ rows: commit.applied, rejected: commit.rejected.length, since: checkpoint.version, cursor: checkpoint.deltaCursor, toVersion: page.toVersion, hasMore: page.hasMore }, 'delta page applied');
  return { kind: 'progress', more: page.hasMore, applied: commit.applied, rejected: commit.rejected, lag };
}

/** The page, or 'cursor-refused' when the server refused the stored cursor (the window then starts again). */
async function fetchPage(job: TableJob, checkpoint: Checkpoint, step: Step): Promise<ChangesAnswer | 'cursor-refused'> {
  try {
    return await job.pages.changes(checkpoint.version, checkpoint.deltaCursor, checkpoint.syncToken, step.signal);
  } catch (error) {
    // A cursor from before a server upgrade (say) may be refused; the window simply starts again.
    if (error instanceof ContractError && checkpoint.deltaCursor !== null && Number(error.context.status) >= 400) {
      await job.checkpoints.clearDeltaCursor(job.db, job.plan.table);
      job.logger.warn({ err: error }, 'the central API refused the stored page cursor; the delta window starts again from the checkpoint');
      return 'cursor-refused';
    }
    throw error;
  }
}


/**
 * 410 "reset required": the table must be read again from a snapshot, because the changes since the checkpoint
 * are gone centrally (retention), because the checkpoint carries no proof that the table's initial data was ever
 * loaded (no Sync-Token: a checkpoint from before this release, or one made by hand), or because the central
 * database went back in time (restored, failed over).
 */
function resetOf(job: TableJob, checkpoint: Checkpoint, answer: ResetRequiredAnswer): SnapshotCause {
  const { problem } = answer;
  if (problem.table !== job.plan.table) {
    throw new ContractError(`table ${job.plan.table}: the reset-required answer names table ${JSON.stringify(problem.table)}`, { context: { table: job.plan.table } });
  }
  const message =
    answer.reason === null || answer.reason === 'retention'
      ? `checkpoint ${checkpoint.version} is older than the oldest version the central API still tracks (${problem.minValidVersion})`
      : `the central API requires a snapshot of the table (${answer.reason}${answer.detail ? `: ${answer.detail}` : ''})`;
  return { message, fields: { minValidVersion: problem.minValidVersion, reason: answer.reason } };
}

async function startSnapshot(job: TableJob, checkpoint: Checkpoint, cause: SnapshotCause): Promise<StepResult> {
  await job.checkpoints.startSnapshot(job.db, job.plan.table);
  job.logger.warn({ since: checkpoint.version, ...cause.fields }, `${cause.message}; the table starts again from a snapshot`);
  return { kind: 'snapshot-started', reason: cause.message };
}

/**
 * A page without rows. Versions move even when this table did not change: a checkpoint left behind would fall
 * out of the server's retention window and force a needless snapshot. Pending deletes are tried again meanwhile.
 */
async function moveWithoutRows(job: TableJob, checkpoint: Checkpoint, target: DeltaTarget): Promise<void> {
  const unchanged =
    target.version === checkpoint.version && target.cursor === checkpoint.deltaCursor && target.syncToken === checkpoint.syncToken && target.incarnation === checkpoint.incarnation &&
    target.columns.fingerprint === checkpoint.appliedColumns && target.columns.ignored === checkpoint.ignoredColumns;
  if (unchanged && checkpoint.pendingDeletes.length === 0) return;
  await job.db.transaction(async (tx) => {
    const pendingDeletes = await retryPendingDeletes(tx, job.rows, checkpoint.pendingDeletes);
    await job.checkpoints.advanceDelta(tx, checkpoint, { ...target, rowsApplied: 0, pendingDeletes });
  });
}

/**
 * The page's rows and the checkpoint in one transaction. When the database refuses rows, they are isolated
 * (isolate-rows.ts) and the page is committed again without them, with them recorded in sync_rejected_row;
 * PULL_REJECT_POLICY then says whether the checkpoint moves past them (skip-row) or stays (stop-table).
 */
async function commitPage(job: TableJob, checkpoint: Checkpoint, target: DeltaTarget, write: PageWrite, step: Step): Promise<PageCommit> {
  try {
    await job.db.transaction((tx) => writePage(tx, job, checkpoint, target, write, write.page.items, []));
    return { kind: 'committed', applied: write.page.items.length, rejected: [] };
  } catch (error) {
    const refusal = await findRefusedRows(job, write, error, step.mayWaitForParents);
    if (refusal.kind !== 'refused') return refusal;
    try {
      await job.db.transaction((tx) => writePage(tx, job, checkpoint, target, write, refusal.good, refusal.rejected));
    } catch (finalError) {
      return failedAfterRefusal(finalError);
    }
    return afterRefusal(job.policy, refusal);
  }
}

async function writePage(tx: Queryable, job: TableJob, checkpoint: Checkpoint, target: DeltaTarget, write: PageWrite, items: readonly PageItem[], rejected: RejectedRow[]): Promise<void> {
  const pendingDeletes = await applyItems(tx, job.rows, write, items);
  await job.rejectedRows.record(tx, rejected);
  // A held page comes again whole, tombstones included, so its pending deletes need not be kept yet.
  if (!movesCheckpoint(job.policy, rejected)) return;
  await tableStep(() => job.checkpoints.advanceDelta(tx, checkpoint, { ...target, rowsApplied: items.length, pendingDeletes }));
}
