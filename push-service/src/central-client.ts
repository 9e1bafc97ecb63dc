import { ContractError, eventBatchResponseSchema, fullJitterDelayMs, type BackoffPolicy, type EventItemResult } from '@goldpdv/core';
import { parseRetryAfterMs, type HttpClient, type HttpResponse } from '@goldpdv/core';
import type { OutboxRow, RowOutcome } from './outbox/outbox-row.js';

export interface CentralTarget {
  /** 'batch': POST {baseUrl}/v1/events with many events; 'per-event': one POST per event to urlTemplate. */
  mode: 'batch' | 'per-event';
  baseUrl: string;
  token: string;
  /** Per-event mode: URL with {type}, {eventId} and {streamKey} placeholders. */
  urlTemplate?: string;
  /** Per-event mode: streams sent in parallel. */
  concurrency: number;
}

export interface SendReport {
  outcomes: RowOutcome[];
  /** The central API could not be reached or refused us as a whole (network, 5xx, 401...); null when it answered. */
  centralProblem: string | null;
  /** HTTP status counts of this send, for metrics. */
  statuses: number[];
}

/** Answers that say "the whole request failed, try the same thing later". */
const RETRY_STATUSES = new Set([408, 409, 425, 429]);
/** Answers that say "this client is not allowed": not the event's fault, so never a dead letter. */
const AUTH_STATUSES = new Set([401, 403]);

/**
 * Turns one claimed batch into per-row outcomes following the contract's table: success or replay → sent;
 * 409 → retry with the same key; 422 and other 4xx → dead letter; 429, 5xx, timeouts and network errors →
 * retry no sooner than max(full-jitter backoff, Retry-After).
 */
export class CentralClient {
  constructor(
    private readonly http: HttpClient,
    private readonly target: CentralTarget,
    private readonly backoff: BackoffPolicy,
  ) {}

  async send(rows: readonly OutboxRow[], signal?: AbortSignal): Promise<SendReport> {
    const report: SendReport = { outcomes: [], centralProblem: null, statuses: [] };
    if (this.target.mode === 'batch') await this.sendBatch(rows, report, signal);
    else await this.sendPerEvent(rows, report, signal);
    return report;
  }

  private retry(row: OutboxRow, error: string, httpStatus: number | null, retryAfterMs: number | null = null): RowOutcome {
    const delayMs = Math.max(fullJitterDelayMs(row.attempts, this.backoff), retryAfterMs ?? 0);
    return { kind: 'retry', row, delayMs, error, httpStatus };
  }

  private async sendBatch(rows: readonly OutboxRow[], report: SendReport, signal?: AbortSignal): Promise<void> {
    const body = JSON.stringify({
      events: rows.map((row) => ({ eventId: row.eventId, type: row.eventType, streamKey: row.streamKey, occurredAt: toIso(row.createdAt), payload: row.payload })),
    });
    let response: HttpResponse;
    try {
      response = await this.http.post(`${this.target.baseUrl.replace(/\/$/, '')}/v1/events`, body, this.authHeaders(), signal);
    } catch (error) {
      report.centralProblem = (error as Error).message;
      report.outcomes.push(...rows.map((row) => this.retry(row, report.centralProblem!, null)));
      return;
    }
    report.statuses.push(response.status);
    if (response.status === 200) return this.readBatchResults(rows, response, report);
    const problem = describeProblem(response);
    if (isWholeRequestRetry(response.status) || AUTH_STATUSES.has(response.status)) {
      report.centralProblem = problem;
      const retryAfter = parseRetryAfterMs(response.headers['retry-after']);
      report.outcomes.push(...rows.map((row) => this.retry(row, problem, response.status, retryAfter)));
      return;
    }
    // A 4xx for the batch as a whole: one of its events is to blame. Halve until it stands alone.
    if (rows.length > 1) {
      const middle = Math.ceil(rows.length / 2);
      await this.sendBatch(rows.slice(0, middle), report, signal);
      await this.sendBatch(rows.slice(middle), report, signal);
      return;
    }
    report.outcomes.push({ kind: 'dead', row: rows[0]!, reason: problem, httpStatus: response.status });
  }

  private readBatchResults(rows: readonly OutboxRow[], response: HttpResponse, report: SendReport): void {
    let results: EventItemResult[];
    try {
      results = eventBatchResponseSchema.parse(JSON.parse(response.body)).results;
    } catch (cause) {
      const error = new ContractError('the central API answered 200 with a body that is not a batch result', { cause });
      report.centralProblem = error.message;
      report.outcomes.push(...rows.map((row) => this.retry(row, error.message, 200)));
      return;
    }
    const byIndex = new Map(results.map((result) => [result.index, result]));
    rows.forEach((row, index) => {
      const result = byIndex.get(index);
      if (!result || (result.eventId !== null && result.eventId.toLowerCase() !== row.eventId)) {
        report.outcomes.push(this.retry(row, 'the central API returned no result for this event', 200));
        return;
      }
      report.outcomes.push(this.outcomeOfItem(row, result));
    });
  }

  private outcomeOfItem(row: OutboxRow, result: EventItemResult): RowOutcome {
    const reason = result.error ? `${result.httpStatus} ${result.error.code}: ${result.error.message}${result.error.field ? ` (${result.error.field})` : ''}` : `${result.httpStatus} ${result.status}`;
    switch (result.status) {
      case 'applied':
      case 'duplicate':
        return { kind: 'sent', row, httpStatus: result.httpStatus };
      case 'conflict':
      case 'rejected':
        return { kind: 'dead', row, reason, httpStatus: result.httpStatus };
      case 'retry':
        return this.retry(row, reason, result.httpStatus);
    }
  }

  private async sendPerEvent(rows: readonly OutboxRow[], report: SendReport, signal?: AbortSignal): Promise<void> {
    const streams = new Map<string, OutboxRow[]>();
    for (const row of rows) streams.set(row.streamKey, [...(streams.get(row.streamKey) ?? []), row]);
    const queue = [...streams.values()];
    const workers = Array.from({ length: Math.min(this.target.concurrency, queue.length) }, async () => {
      for (let stream = queue.shift(); stream; stream = queue.shift()) await this.sendStream(stream, report, signal);
    });
    await Promise.all(workers);
  }

  /** One stream, in order; the first event that must wait holds back the rest of its stream. */
  private async sendStream(stream: readonly OutboxRow[], report: SendReport, signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < stream.length; i++) {
      const row = stream[i]!;
      const outcome = await this.sendOne(row, report, signal);
      report.outcomes.push(outcome);
      if (outcome.kind === 'retry') {
        for (const waiting of stream.slice(i + 1)) report.outcomes.push({ ...outcome, row: waiting, error: `waiting behind ${row.eventId}` });
        return;
      }
    }
  }

  private async sendOne(row: OutboxRow, report: SendReport, signal?: AbortSignal): Promise<RowOutcome> {
    const url = this.target
      .urlTemplate!.replaceAll('{type}', encodeURIComponent(row.eventType))
      .replaceAll('{eventId}', encodeURIComponent(row.eventId))
      .replaceAll('{streamKey}', encodeURIComponent(row.streamKey));
    const headers = { ...this.authHeaders(), 'idempotency-key': row.eventId, 'x-event-type': row.eventType, 'x-stream-key': row.streamKey, 'x-occurred-at': toIso(row.createdAt) };
    let response: HttpResponse;
    try {
      response = await this.http.post(url, row.payload, headers, signal);
    } catch (error) {
      report.centralProblem = (error as Error).message;
      return this.retry(row, report.centralProblem, null);
    }
    report.statuses.push(response.status);
    if (response.status >= 200 && response.status < 300) return { kind: 'sent', row, httpStatus: response.status };
    const problem = describeProblem(response);
    if (isWholeRequestRetry(response.status) || AUTH_STATUSES.has(response.status)) {
      if (response.status !== 409) report.centralProblem = problem;
      return this.retry(row, problem, response.status, parseRetryAfterMs(response.headers['retry-after']));
    }
    return { kind: 'dead', row, reason: problem, httpStatus: response.status };
  }

  private authHeaders(): Record<string, string> {
    return { authorization: `Bearer ${this.target.token}` };
  }
}

function isWholeRequestRetry(status: number): boolean {
  return status >= 500 || RETRY_STATUSES.has(status) || status < 200;
}

/** "422 Unprocessable: payload differs (events[0].payload)" from a problem+json body, or the raw status. */
function describeProblem(response: HttpResponse): string {
  try {
    const problem = JSON.parse(response.body) as { title?: unknown; detail?: unknown; field?: unknown };
    const parts = [problem.title, problem.detail].filter((p): p is string => typeof p === 'string');
    const field = typeof problem.field === 'string' ? ` (${problem.field})` : '';
    if (parts.length > 0) return `${response.status} ${parts.join(': ')}${field}`.slice(0, 2_000);
  } catch {
    // not JSON: fall through
  }
  return `${response.status} ${response.body.slice(0, 200)}`.trim();
}

/** What Date.prototype.toISOString writes: UTC, milliseconds, "Z". The PostgreSQL claim returns this form. */
const CANONICAL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Outbox timestamps come back in the database's text form; the contract wants ISO 8601 with an offset. */
export function toIso(value: string): string {
  // Already canonical: skip a Date round trip per event on the hot path.
  if (CANONICAL_ISO.test(value)) return value;
  let normalised = value.includes('T') ? value : value.replace(' ', 'T');
  // PostgreSQL writes "+00" where ISO 8601 parsers want "+00:00".
  normalised = normalised.replace(/([+-]\d{2})$/, '$1:00');
  if (!/([zZ]|[+-]\d{2}:?\d{2})$/.test(normalised)) normalised = `${normalised}Z`;
  const date = new Date(normalised);
  return Number.isNaN(date.getTime()) ? new Date().toISOString() : date.toISOString();
}
