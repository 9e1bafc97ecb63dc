import type { Logger } from './logger.js';
import type { Database } from '@goldpdv/core';
import type { CentralPullClient } from './central-pull-client.js';
import type { PagePrefetch } from './page-prefetch.js';
import type { RejectPolicy } from './config.js';
import type { RejectedRow } from './rejected-row.js';
import type { TablePlan } from './table-plan.js';
import type { TableSql } from './table-sql.js';

/** What one step of one table (one page, delta or snapshot) needs. */
export interface TableContext {
  db: Database;
  client: CentralPullClient;
  prefetch: PagePrefetch;
  plan: TablePlan;
  sql: TableSql;
  policy: RejectPolicy;
  logger: Logger;
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
  /** The table was switched to (or restarted in) re-initialisation. */
  | { kind: 'reset'; reason: string }
  /** stop-table held the checkpoint on refused rows; the good rows of the page are in. */
  | { kind: 'held'; reason: string; applied: number; rejected: RejectedRow[] }
  | { kind: 'waiting'; reason: string }
  | { kind: 'failed'; reason: string; error: unknown };

/** Versions between the page's end and the checkpoint, as a number for health (lag is small or it does not matter). */
export function lagOf(toVersion: string, checkpointVersion: string): number {
  const lag = BigInt(toVersion) - BigInt(checkpointVersion);
  return Number(lag < 0n ? 0n : lag);
}
