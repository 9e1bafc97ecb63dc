import { PermanentError } from '@goldpdv/core';

/**
 * Why a client must re-read a table from a snapshot before it may read deltas again:
 * - retention: its checkpoint is older than the oldest change still tracked;
 * - initial-data: it never proved that it loaded the table's initial data (no valid Sync-Token);
 * - scope: its Sync-Token was issued for another loja, or before the table's row filter changed;
 * - restored: its checkpoint is above the database's current version: the database went back in time;
 * - incarnation: the database is not the one the table was loaded from (restored, failed over, or marked so by
 *   an operator; see db/incarnation.ts).
 */
export type ResetReason = 'retention' | 'initial-data' | 'scope' | 'restored' | 'incarnation';

/** A reason, and what exactly was wrong when there is more to say (which check the Sync-Token failed). */
export interface ResetRefusal {
  reason: ResetReason;
  note?: string;
}

const DETAILS: Record<ResetReason, (table: string) => string> = {
  retention: (table) => `the checkpoint of ${table} is older than the oldest change still tracked`,
  'initial-data': (table) => `the request carries no valid Sync-Token for ${table}: the table's initial data must be loaded from a snapshot first`,
  scope: (table) => `the Sync-Token of ${table} was issued for other rows (another loja, or before the row filter changed)`,
  restored: (table) => `the checkpoint of ${table} is above the central database's current version: the database was restored or failed over`,
  incarnation: (table) => `${table} was loaded from another incarnation of the central database (a restore, a failover, or one marked by an operator)`,
};

/**
 * The client must re-snapshot the table. Asking again with the same checkpoint cannot succeed, hence permanent.
 * It carries what the 410 answer needs and nothing of HTTP, so that the services stay usable (and testable)
 * without a server.
 */
export class ResetRequiredError extends PermanentError {
  constructor(
    readonly table: string,
    readonly minValidVersion: string,
    readonly sinceVersion: string,
    readonly reason: ResetReason = 'retention',
    readonly note?: string,
  ) {
    super(`${DETAILS[reason](table)} (version ${sinceVersion}, minimum valid version ${minValidVersion})`, {
      context: { table, minValidVersion, sinceVersion, reason, note },
    });
  }

  get detail(): string {
    return `${DETAILS[this.reason](this.table)}${this.note ? ` (${this.note})` : ''}; re-read the table from GET /v1/snapshot`;
  }
}
