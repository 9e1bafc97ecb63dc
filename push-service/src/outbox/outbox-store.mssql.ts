import type { SqlParams } from '@goldpdv/core';
import * as statements from './outbox-sql.mssql.js';
import type { DeadOutcome, RetryOutcome, SentOutcome } from './outbox-row.js';
import { SqlOutboxStore } from './sql-outbox-store.js';

/** The outbox on SQL Server: many-row arguments travel as one JSON array parameter, read with OPENJSON. */
export class MssqlOutboxStore extends SqlOutboxStore {
  protected override readonly sql = statements;

  protected override sentParams(sent: readonly SentOutcome[]): SqlParams {
    return [JSON.stringify(sent.map((o) => ({ id: o.row.outboxId, status: o.httpStatus })))];
  }

  protected override retryParams(retry: readonly RetryOutcome[]): SqlParams {
    return [JSON.stringify(retry.map((o) => ({ id: o.row.outboxId, delayMs: o.delayMs, error: o.error, status: o.httpStatus, owner: o.row.leaseOwner })))];
  }

  protected override deadParams(dead: readonly DeadOutcome[]): SqlParams {
    return [JSON.stringify(dead.map((o) => ({ id: o.row.outboxId, reason: o.reason, status: o.httpStatus, owner: o.row.leaseOwner })))];
  }

  /** SQL Server refreshes stale statistics itself before it compiles a statement. */
  override async refreshStatistics(): Promise<void> {}
}
