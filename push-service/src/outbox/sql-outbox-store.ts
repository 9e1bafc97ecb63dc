import type { Database, SqlParams } from '@goldpdv/core';
import type { ClaimOptions, OutboxBacklog, OutboxStore } from './outbox-store.js';
import {
  toDeadLetter,
  toOutboxRow,
  type DeadLetterRow,
  type DeadOutcome,
  type OutboxRow,
  type RawDeadLetter,
  type RawOutboxRow,
  type RetryOutcome,
  type RowOutcome,
  type SentOutcome,
} from './outbox-row.js';

/** The statements of one dialect, by operation; their text is in outbox-sql.<dialect>.ts. */
export interface OutboxStatements {
  claimBatch: string;
  markSent: string;
  scheduleRetry: string;
  moveToDeadLetters: string;
  releaseLeases: string;
  purgeSent: string;
  backlog: string;
  listDeadLetters: string;
  findDeadLetter: string;
  requeueDeadLetters: string;
}

/**
 * What every dialect's outbox store does the same way: the transactions, the split of outcomes by kind, the rows
 * read back, the outcomes a lapsed claim could not record. A dialect brings its statements and the shape of
 * their many-row parameters (outbox-store.<dialect>.ts).
 */
export abstract class SqlOutboxStore implements OutboxStore {
  protected abstract readonly sql: OutboxStatements;

  constructor(protected readonly db: Database) {}

  /** The parameters of markSent for these outcomes. */
  protected abstract sentParams(sent: readonly SentOutcome[]): SqlParams;
  /** The parameters of scheduleRetry for these outcomes, the lease owner of each row included. */
  protected abstract retryParams(retry: readonly RetryOutcome[]): SqlParams;
  /** The parameters of moveToDeadLetters for these outcomes, the lease owner of each row included. */
  protected abstract deadParams(dead: readonly DeadOutcome[]): SqlParams;

  abstract refreshStatistics(): Promise<void>;

  async claimBatch(options: ClaimOptions): Promise<OutboxRow[]> {
    // One transaction: on SQL Server the head locks must be held until the lease is written.
    const rows = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<RawOutboxRow>(this.sql.claimBatch, [options.owner, options.leaseMs, options.limit, Math.max(1, options.lanes ?? 1)]);
      return rows;
    });
    return rows.map(toOutboxRow).sort((a, b) => compareIds(a.outboxId, b.outboxId));
  }

  async recordOutcomes(outcomes: readonly RowOutcome[]): Promise<RowOutcome[]> {
    const { sent, retry, dead } = splitByKind(outcomes);
    return this.db.transaction(async (tx) => {
      const recorded: HeldRow[] = [];
      if (sent.length > 0) await tx.query(this.sql.markSent, this.sentParams(sent));
      if (retry.length > 0) recorded.push(...(await tx.query<HeldRow>(this.sql.scheduleRetry, this.retryParams(retry))).rows);
      if (dead.length > 0) recorded.push(...(await tx.query<HeldRow>(this.sql.moveToDeadLetters, this.deadParams(dead))).rows);
      return notRecorded([...retry, ...dead], recorded);
    });
  }

  // Every write runs in a transaction, even a single statement: on SQL Server each one lowers its deadlock
  // priority, a session setting that the transaction puts back (outbox-sql.mssql.ts).
  async releaseLeases(worker: string): Promise<number> {
    return this.db.transaction(async (tx) => (await tx.query(this.sql.releaseLeases, [worker])).rowCount);
  }

  async purgeSentRows(retentionHours: number, batchSize: number): Promise<number> {
    return this.db.transaction(async (tx) => (await tx.query(this.sql.purgeSent, [retentionHours, batchSize])).rowCount);
  }

  async readBacklog(): Promise<OutboxBacklog> {
    const { rows } = await this.db.query<{ pending: unknown; in_flight: unknown; oldest_age_s: unknown; dead_letters: unknown }>(this.sql.backlog);
    const row = rows[0]!;
    return {
      pending: Number(row.pending),
      inFlight: Number(row.in_flight),
      oldestPendingAgeSeconds: row.oldest_age_s === null ? null : Math.round(Number(row.oldest_age_s)),
      deadLetters: Number(row.dead_letters),
    };
  }

  async listDeadLetters(limit = 1_000): Promise<DeadLetterRow[]> {
    return (await this.db.query<RawDeadLetter>(this.sql.listDeadLetters, [limit])).rows.map(toDeadLetter);
  }

  async findDeadLetter(eventId: string): Promise<DeadLetterRow | null> {
    const { rows } = await this.db.query<RawDeadLetter>(this.sql.findDeadLetter, [eventId]);
    return rows[0] ? toDeadLetter(rows[0]) : null;
  }

  async requeueDeadLetters(eventId: string | null): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ event_id: string }>(this.sql.requeueDeadLetters, [eventId]);
      return rows.map((r) => String(r.event_id).toLowerCase());
    });
  }
}

/** A row that a retry or a dead letter was recorded on (its claim still held it). */
interface HeldRow {
  outbox_id: unknown;
}

function splitByKind(outcomes: readonly RowOutcome[]): { sent: SentOutcome[]; retry: RetryOutcome[]; dead: DeadOutcome[] } {
  return {
    sent: outcomes.filter((o): o is SentOutcome => o.kind === 'sent'),
    retry: outcomes.filter((o): o is RetryOutcome => o.kind === 'retry'),
    dead: outcomes.filter((o): o is DeadOutcome => o.kind === 'dead'),
  };
}

/** The outcomes whose rows the statements did not touch: another claim holds those rows now. */
function notRecorded(outcomes: readonly RowOutcome[], recorded: readonly HeldRow[]): RowOutcome[] {
  const ids = new Set(recorded.map((row) => String(row.outbox_id)));
  return outcomes.filter((o) => !ids.has(o.row.outboxId));
}

/** Outbox ids are bigints carried as strings: a shorter one is a smaller one. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
