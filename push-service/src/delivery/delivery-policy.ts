import {
  ContractError,
  describeProblem,
  eventBatchResponseSchema,
  fullJitterDelayMs,
  parseRetryAfterMs,
  type BackoffPolicy,
  type EventItemResult,
  type EventItemStatus,
} from '@goldpdv/core';
import type { CentralAnswer } from '../api/central-push-client.js';
import type { OutboxRow, RetryOutcome, RowOutcome } from '../outbox/outbox-row.js';

/**
 * What each answer of the central API leads to: the table of DESIGN.md ("What each answer leads to"), one
 * answer class per row of it.
 *
 * | class       | answer                            | what happens                                                  |
 * |-------------|-----------------------------------|---------------------------------------------------------------|
 * | delivered   | 2xx, or a replayed stored result  | the row is sent                                               |
 * | in-progress | 409 (still in progress)           | retry later with the same key                                 |
 * | refused     | 422 or another 4xx                | dead letter with the reason; the rest of the queue goes on    |
 * | unavailable | 429, 5xx, timeout, network error  | retry at max(full-jitter backoff, Retry-After), and the       |
 * |             |                                   | central API is reported unavailable                           |
 *
 * A retry keeps the row, so its event id (the idempotency key) goes again as it is.
 */
export type AnswerClass = 'delivered' | 'in-progress' | 'refused' | 'unavailable';

/**
 * 4xx answers that are not about the event. 408, 425 and 429 ask for the same request later; 401 and 403 say
 * this client is not allowed (a token to fix centrally): the event is not at fault, so never a dead letter.
 */
const UNAVAILABLE_4XX = new Set([401, 403, 408, 425, 429]);

/** The one classification of an HTTP status, for a batch answer and for a one-event answer alike. */
export function classifyStatus(status: number): AnswerClass {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 409) return 'in-progress';
  if (status < 200 || status >= 500 || UNAVAILABLE_4XX.has(status)) return 'unavailable';
  return 'refused';
}

/**
 * One item of a batch result, by the status word the contract gives it (its httpStatus is carried along for
 * the record): applied 201 and duplicate 200 (the replay) are delivered, retry 409 is in progress, conflict 422
 * and rejected 400/422 are refused.
 */
const ITEM_CLASS: Record<EventItemStatus, AnswerClass> = {
  applied: 'delivered',
  duplicate: 'delivered',
  retry: 'in-progress',
  conflict: 'refused',
  rejected: 'refused',
};

/** What the worker does with the rows of one answer. */
export interface Verdict {
  kind: 'decided';
  outcomes: RowOutcome[];
  /** Why the central API is to be reported unavailable after this answer; null when it served us. */
  centralUnavailable: string | null;
}

/** A batch refused as a whole: one of its events is to blame; send each half on its own to find it. */
export interface SplitVerdict {
  kind: 'split';
}

/** Reasons and errors are stored on the row (2,000 characters at most). */
const REASON_MAX_LENGTH = 2_000;

export class DeliveryPolicy {
  constructor(
    private readonly backoff: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** The answer to one event sent on its own (per-event mode). */
  judgeEvent(row: OutboxRow, answer: CentralAnswer): Verdict {
    return this.judgeWhole([row], answer);
  }

  /** The answer to a batch: the outcome of each of its events, or a split when the batch as a whole was refused. */
  judgeBatch(rows: readonly OutboxRow[], answer: CentralAnswer): Verdict | SplitVerdict {
    if (answer.kind === 'answered') {
      const answerClass = classifyStatus(answer.status);
      if (answerClass === 'delivered') return this.judgeBatchResults(rows, answer.status, answer.body);
      if (answerClass === 'refused' && rows.length > 1) return { kind: 'split' };
    }
    return this.judgeWhole(rows, answer);
  }

  /** When to try a row again: max(full-jitter exponential backoff over its attempts, Retry-After). */
  retryDelayMs(row: OutboxRow, retryAfterMs: number | null): number {
    return Math.max(fullJitterDelayMs(row.attempts, this.backoff, this.random), retryAfterMs ?? 0);
  }

  /** One answer that stands for every row it carried. */
  private judgeWhole(rows: readonly OutboxRow[], answer: CentralAnswer): Verdict {
    if (answer.kind === 'unanswered') {
      // A timeout or a network error: the "unavailable" row of the table, without a status or a Retry-After.
      const problem = answer.error.message;
      return decided(rows.map((row) => this.retry(row, problem, null, null)), problem);
    }
    const { status } = answer;
    const answerClass = classifyStatus(status);
    if (answerClass === 'delivered') return decided(rows.map((row) => ({ kind: 'sent', row, httpStatus: status })));
    const problem = describeProblem(answer, REASON_MAX_LENGTH);
    if (answerClass === 'refused') return decided(rows.map((row) => ({ kind: 'dead', row, reason: problem, httpStatus: status })));
    const retryAfterMs = parseRetryAfterMs(answer.headers['retry-after']);
    return decided(
      rows.map((row) => this.retry(row, problem, status, retryAfterMs)),
      answerClass === 'unavailable' ? problem : null,
    );
  }

  private judgeBatchResults(rows: readonly OutboxRow[], status: number, body: string): Verdict {
    let results: EventItemResult[];
    try {
      results = eventBatchResponseSchema.parse(JSON.parse(body)).results;
    } catch (cause) {
      const error = new ContractError(`the central API answered ${status} with a body that is not a batch result`, { cause });
      return decided(rows.map((row) => this.retry(row, error.message, status, null)), error.message);
    }
    const byIndex = new Map(results.map((result) => [result.index, result]));
    return decided(
      rows.map((row, index) => {
        const result = byIndex.get(index);
        if (!result || (result.eventId !== null && result.eventId.toLowerCase() !== row.eventId)) {
          return this.retry(row, 'the central API returned no result for this event', status, null);
        }
        return this.judgeItem(row, result);
      }),
    );
  }

  private judgeItem(row: OutboxRow, result: EventItemResult): RowOutcome {
    const { error, httpStatus } = result;
    const reason = error ? `${httpStatus} ${error.code}: ${error.message}${error.field ? ` (${error.field})` : ''}` : `${httpStatus} ${result.status}`;
    switch (ITEM_CLASS[result.status]) {
      case 'delivered':
        return { kind: 'sent', row, httpStatus };
      case 'refused':
        return { kind: 'dead', row, reason, httpStatus };
      case 'in-progress':
      case 'unavailable':
        return this.retry(row, reason, httpStatus, null);
    }
  }

  private retry(row: OutboxRow, error: string, httpStatus: number | null, retryAfterMs: number | null): RetryOutcome {
    return { kind: 'retry', row, delayMs: this.retryDelayMs(row, retryAfterMs), error, httpStatus };
  }
}

function decided(outcomes: RowOutcome[], centralUnavailable: string | null = null): Verdict {
  return { kind: 'decided', outcomes, centralUnavailable };
}
