import type { CentralPushClient } from '../api/central-push-client.js';
import type { OutboxRow, RowOutcome } from '../outbox/outbox-row.js';
import type { DeliveryPolicy, Verdict } from './delivery-policy.js';

export interface SendReport {
  outcomes: RowOutcome[];
  /** Why the central API is unavailable (network, 5xx, 429, 401...); null when it served every request. */
  centralUnavailable: string | null;
  /** HTTP status of each answer of this send, for metrics. */
  statuses: number[];
}

export interface SendOptions {
  /** 'batch': every event in one POST to /v1/events; 'per-event': one POST per event to the URL template. */
  mode: 'batch' | 'per-event';
  /** Per-event mode: streams sent in parallel. */
  perEventConcurrency: number;
}

/**
 * Sends the rows of one claim and collects what the delivery policy makes of each answer. It decides the
 * requests only: a batch, its halves when the policy splits it, or one request per event with each stream in
 * order.
 */
export class EventSender {
  constructor(
    private readonly client: CentralPushClient,
    private readonly policy: DeliveryPolicy,
    private readonly options: SendOptions,
  ) {}

  async send(rows: readonly OutboxRow[], signal?: AbortSignal): Promise<SendReport> {
    const report: SendReport = { outcomes: [], centralUnavailable: null, statuses: [] };
    if (this.options.mode === 'batch') await this.sendBatch(rows, report, signal);
    else await this.sendPerEvent(rows, report, signal);
    return report;
  }

  private async sendBatch(rows: readonly OutboxRow[], report: SendReport, signal?: AbortSignal): Promise<void> {
    const answer = await this.client.postBatch(rows, signal);
    if (answer.kind === 'answered') report.statuses.push(answer.status);
    const verdict = this.policy.judgeBatch(rows, answer);
    if (verdict.kind === 'decided') return take(report, verdict);
    // Halve until the event at fault stands alone; its verdict is then a dead letter.
    const middle = Math.ceil(rows.length / 2);
    await this.sendBatch(rows.slice(0, middle), report, signal);
    await this.sendBatch(rows.slice(middle), report, signal);
  }

  private async sendPerEvent(rows: readonly OutboxRow[], report: SendReport, signal?: AbortSignal): Promise<void> {
    const streams = new Map<string, OutboxRow[]>();
    for (const row of rows) streams.set(row.streamKey, [...(streams.get(row.streamKey) ?? []), row]);
    const queue = [...streams.values()];
    const workers = Array.from({ length: Math.min(this.options.perEventConcurrency, queue.length) }, async () => {
      for (let stream = queue.shift(); stream; stream = queue.shift()) await this.sendStream(stream, report, signal);
    });
    await Promise.all(workers);
  }

  /** One stream, in order; the first event that must wait holds back the rest of its stream. */
  private async sendStream(stream: readonly OutboxRow[], report: SendReport, signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < stream.length; i++) {
      const row = stream[i]!;
      const answer = await this.client.postEvent(row, signal);
      if (answer.kind === 'answered') report.statuses.push(answer.status);
      const verdict = this.policy.judgeEvent(row, answer);
      take(report, verdict);
      const outcome = verdict.outcomes[0]!;
      if (outcome.kind === 'retry') {
        for (const waiting of stream.slice(i + 1)) report.outcomes.push({ ...outcome, row: waiting, error: `waiting behind ${row.eventId}` });
        return;
      }
    }
  }
}

function take(report: SendReport, verdict: Verdict): void {
  report.outcomes.push(...verdict.outcomes);
  if (verdict.centralUnavailable !== null) report.centralUnavailable = verdict.centralUnavailable;
}
