import type { Database } from '@goldpdv/core';
import type { TablePages } from './api/table-pages.js';
import type { RejectPolicy } from './config.js';
import type { ApplyStore } from './db/apply-store.js';
import type { CheckpointStore } from './db/checkpoint-store.js';
import type { RejectedRow, RejectedRowStore } from './db/rejected-row-store.js';
import type { Logger } from './logger.js';
import type { TablePlan } from './plan/table-plan.js';

/**
 * Everything the pages of one table need, built once per table when the worker starts (sync-pull.ts) and passed
 * down, unchanged, to every step: the table's plan, its central pages, its statements, its logger, the stores.
 */
export interface TableJob {
  readonly plan: TablePlan;
  readonly logger: Logger;
  readonly db: Database;
  readonly pages: TablePages;
  /** The table's own apply statements. */
  readonly rows: ApplyStore;
  readonly checkpoints: CheckpointStore;
  readonly rejectedRows: RejectedRowStore;
  readonly policy: RejectPolicy;
}

/** What one step (one page of one table) is told besides its job. */
export interface Step {
  signal: AbortSignal;
  /** Rows referring to rows not pulled yet may wait (a parent table still has work) instead of being rejected. */
  mayWaitForParents: boolean;
}

/** How one step ended, for the round to report and decide whether to go on at once. */
export type StepResult =
  /** Nothing to apply: the table is caught up. */
  | { kind: 'idle'; lag: number }
  /** A page was applied; `more` when the table already has its next page waiting. */
  | { kind: 'progress'; more: boolean; applied: number; rejected: RejectedRow[]; lag: number | null }
  /** The table was switched to a snapshot (from its first page), after "reset required" or a refused snapshot cursor. */
  | { kind: 'snapshot-started'; reason: string }
  /** stop-table held the checkpoint on refused rows; the good rows of the page are in. */
  | { kind: 'held'; reason: string; applied: number; rejected: RejectedRow[] }
  | { kind: 'waiting'; reason: string }
  | { kind: 'failed'; reason: string; error: unknown };

/** Versions between the page's end and the checkpoint, as a number for health (lag is small or it does not matter). */
export function lagOf(toVersion: string, checkpointVersion: string): number {
  const lag = BigInt(toVersion) - BigInt(checkpointVersion);
  return Number(lag < 0n ? 0n : lag);
}

/**
 * A page told of another incarnation of the central database than the one the table was loaded from (it was
 * restored or failed over): the table must be loaded again. Unknown on either side (a central API that does not
 * tell) tells nothing.
 */
export function isAnotherIncarnation(loadedFrom: string | null, served: string | null): boolean {
  return loadedFrom !== null && served !== null && loadedFrom !== served;
}
