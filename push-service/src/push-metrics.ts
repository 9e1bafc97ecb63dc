import type { OutboxBacklog } from './outbox/outbox-store.js';
import type { RowOutcome } from './outbox/outbox-row.js';

/** In-process counters of this push-service, exposed through health info (and Prometheus). */
export class PushMetrics {
  sentTotal = 0;
  retriesTotal = 0;
  deadLettersTotal = 0;
  batchesTotal = 0;
  inFlight = 0;
  readonly httpStatuses = new Map<number, number>();
  readonly batchDurationsMs: number[] = [];
  backlog: OutboxBacklog | null = null;

  record(outcomes: readonly RowOutcome[], statuses: readonly number[], durationMs: number): void {
    this.batchesTotal += 1;
    for (const outcome of outcomes) {
      if (outcome.kind === 'sent') this.sentTotal += 1;
      else if (outcome.kind === 'retry') this.retriesTotal += 1;
      else this.deadLettersTotal += 1;
    }
    for (const status of statuses) this.httpStatuses.set(status, (this.httpStatuses.get(status) ?? 0) + 1);
    this.batchDurationsMs.push(durationMs);
    if (this.batchDurationsMs.length > 1_000) this.batchDurationsMs.splice(0, 500);
  }
}
