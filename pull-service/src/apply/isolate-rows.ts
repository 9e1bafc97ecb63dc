import { describeDriverError, isForeignKeyViolation, isTransientError, type Database, type Queryable } from '@goldpdv/core';
import type { PageItem } from '../api/page-checks.js';
import type { RejectPolicy } from '../config.js';
import type { RejectedRow } from '../db/rejected-row-store.js';
import type { StepResult, TableJob } from '../table-job.js';
import { applyItems, type PageWrite } from './apply-items.js';
import { describeRejection } from './rejected-row.js';

/**
 * A failure of a step around the rows (the key-order check, the checkpoint move): the table's fault, never to be
 * mistaken for a bad row. The apply steps wrap those steps in tableStep().
 */
export class TableStepError extends Error {
  constructor(readonly error: unknown) {
    super(describeDriverError(error), { cause: error });
  }
}

export async function tableStep<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new TableStepError(error);
  }
}

/** The rows of a failed page that the database refuses, described for the record, and the rows it takes. */
export interface Refusal {
  kind: 'refused';
  good: readonly PageItem[];
  rejected: RejectedRow[];
  reason: string;
}

type PageBlocked = Extract<StepResult, { kind: 'waiting' | 'failed' }>;

/** How committing a page ended: in (every row, or under skip-row every row but the refused ones), or not. */
export type PageCommit = { kind: 'committed'; applied: number; rejected: RejectedRow[] } | PageBlocked | Extract<StepResult, { kind: 'held' }>;

/**
 * After a page's transaction failed: which of its rows the database refuses, so that the rest can go in without
 * them; or why the page cannot go in at all. A foreign key violation while parents still have work means
 * waiting for them. Transient errors go up unchanged. Nothing is applied here: the caller commits the good rows
 * and records the refused ones (sync_rejected_row) in its own transaction, so nothing is dropped without a record.
 */
export async function findRefusedRows(job: TableJob, write: PageWrite, error: unknown, mayWaitForParents: boolean): Promise<Refusal | PageBlocked> {
  if (error instanceof TableStepError || isTransientError(error)) return tableFailure(error);
  if (isForeignKeyViolation(error) && mayWaitForParents) return { kind: 'waiting', reason: `rows refer to rows not pulled yet: ${describeDriverError(error)}` };
  const items = write.page.items;
  let failed;
  try {
    failed = await isolateFailedItems(job.db, items, async (tx, piece) => {
      await applyItems(tx, job.rows, write, piece);
    });
  } catch (isolationError) {
    return tableFailure(isolationError);
  }
  if (failed.length === 0) return tableFailure(error, 'the page fails as a whole although each of its rows applies alone: ');
  if (failed.length === items.length && items.length > 1) {
    return tableFailure(failed[0]!.error, `every row of the page fails (${items.length}), which points at the table rather than the rows: `);
  }
  const rejected = failed.map((f) => describeRejection(job.plan, write.page.columns, f.item, f.error));
  const refused = new Set(failed.map((f) => f.item));
  const first = rejected[0]!;
  return {
    kind: 'refused',
    good: items.filter((item) => !refused.has(item)),
    rejected,
    reason: `${rejected.length} row(s) refused; first: key ${first.key}${first.column ? ` column ${first.column}` : ''}: ${first.reason}`,
  };
}

/** The page once its refused rows were left out: skip-row moved the checkpoint past them, stop-table holds it (the good rows are in). */
export function afterRefusal(policy: RejectPolicy, refusal: Refusal): PageCommit {
  const outcome = { applied: refusal.good.length, rejected: refusal.rejected };
  return policy === 'skip-row' ? { kind: 'committed', ...outcome } : { kind: 'held', reason: refusal.reason, ...outcome };
}

/** The transaction of the rows left after isolation failed as well: the table's fault. */
export function failedAfterRefusal(error: unknown): PageBlocked {
  return tableFailure(error, 'the rows left after isolating the refused ones still fail together: ');
}

/** The checkpoint stays unless stop-table holds it on refused rows. */
export function movesCheckpoint(policy: RejectPolicy, rejected: readonly RejectedRow[]): boolean {
  return rejected.length === 0 || policy === 'skip-row';
}

function tableFailure(error: unknown, prefix = ''): PageBlocked {
  const inner = error instanceof TableStepError ? error.error : error;
  if (isTransientError(inner)) throw inner;
  return { kind: 'failed', reason: `${prefix}${describeDriverError(inner)}`, error: inner };
}

interface FailedItem {
  item: PageItem;
  error: unknown;
}

class ProbeRollback extends Error {}

/**
 * Finds the rows of a failed page that the database refuses, by halving: a piece that applies is good, a
 * piece that fails is split again, down to single rows. Each probe runs in its own transaction that is always
 * rolled back, so probing changes nothing, and it behaves the same whatever a failed statement does to the
 * enclosing transaction (PostgreSQL aborts it; some SQL Server errors doom it). For k bad rows in n, about
 * 2·k·log2(n) probes. `run` must apply the given rows the way the real apply will.
 */
async function isolateFailedItems(db: Database, items: readonly PageItem[], run: (tx: Queryable, items: readonly PageItem[]) => Promise<void>): Promise<FailedItem[]> {
  const failed: FailedItem[] = [];
  const probe = async (piece: readonly PageItem[]): Promise<void> => {
    const error = await probeFailure(db, (tx) => run(tx, piece));
    if (error === null) return;
    if (piece.length === 1) {
      failed.push({ item: piece[0]!, error });
      return;
    }
    await split(piece);
  };
  const split = async (piece: readonly PageItem[]): Promise<void> => {
    const middle = Math.ceil(piece.length / 2);
    await probe(piece.slice(0, middle));
    await probe(piece.slice(middle));
  };
  // The caller saw the whole page fail; a single row is its own answer.
  if (items.length === 1) await probe(items);
  else await split(items);
  return failed;
}

/** Runs `work` in a transaction that is rolled back in every case; returns its error, or null if it succeeded. */
async function probeFailure(db: Database, work: (tx: Queryable) => Promise<void>): Promise<unknown> {
  try {
    await db.transaction(async (tx) => {
      await work(tx);
      throw new ProbeRollback('probe done');
    });
  } catch (error) {
    if (error instanceof ProbeRollback) return null;
    // A lost connection says nothing about the rows; it ends the isolation and goes up as it is.
    if (isTransientError(error)) throw error;
    return error;
  }
  return null;
}
