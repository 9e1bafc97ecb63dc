import { Counter, DURATION_BUCKETS_SECONDS, Gauge, Histogram, type Registry } from '@goldpdv/core';
import type { OutboxBacklog } from './outbox/outbox-store.js';
import type { RowOutcome } from './outbox/outbox-row.js';

/** The Prometheus side of PushMetrics; absent when the worker runs without a registry. */
class PushPrometheus {
  readonly sent: Counter;
  readonly retries: Counter;
  readonly deadLettered: Counter;
  readonly httpResponses: Counter<'status'>;
  readonly batchDuration: Histogram;

  constructor(register: Registry, owner: PushMetrics) {
    const registers = [register];
    this.sent = new Counter({ name: 'goldpdv_events_sent_total', help: 'Events the central API accepted (applied or duplicate)', registers });
    this.retries = new Counter({ name: 'goldpdv_event_retries_total', help: 'Sends that failed and were rescheduled', registers });
    this.deadLettered = new Counter({ name: 'goldpdv_events_dead_lettered_total', help: 'Events moved to the dead letters by this process', registers });
    this.httpResponses = new Counter({ name: 'goldpdv_http_responses_total', help: 'HTTP answers of the central API, by status', labelNames: ['status'], registers });
    this.batchDuration = new Histogram({ name: 'goldpdv_push_batch_duration_seconds', help: 'Claim-to-record duration of one outbox batch', buckets: DURATION_BUCKETS_SECONDS, registers });
    // The outbox figures are read from the database every few seconds (housekeeping); a scrape shows the last read
    // rather than querying the PDV's database on every scrape.
    const backlogGauge = (name: string, help: string, pick: (b: OutboxBacklog) => number | null): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const value = owner.backlog === null ? null : pick(owner.backlog);
          if (value === null) this.reset();
          else this.set(value);
        },
      });
    };
    backlogGauge('goldpdv_outbox_pending', 'Outbox rows waiting to be sent', (b) => b.pending);
    backlogGauge('goldpdv_outbox_in_flight', 'Outbox rows leased by a sender right now', (b) => b.inFlight);
    backlogGauge('goldpdv_outbox_oldest_pending_age_seconds', 'Age of the oldest pending outbox row (absent when none is pending)', (b) => b.oldestPendingAgeSeconds);
    backlogGauge('goldpdv_dead_letters', 'Rows in the dead-letter table', (b) => b.deadLetters);
  }
}

/** In-process counters of this push-service, exposed through health info and, given a registry, Prometheus. */
export class PushMetrics {
  sentTotal = 0;
  retriesTotal = 0;
  deadLettersTotal = 0;
  batchesTotal = 0;
  inFlight = 0;
  readonly httpStatuses = new Map<number, number>();
  readonly batchDurationsMs: number[] = [];
  backlog: OutboxBacklog | null = null;
  private readonly prometheus: PushPrometheus | null;

  constructor(register?: Registry) {
    this.prometheus = register ? new PushPrometheus(register, this) : null;
  }

  record(outcomes: readonly RowOutcome[], statuses: readonly number[], durationMs: number): void {
    this.batchesTotal += 1;
    const before = { sent: this.sentTotal, retries: this.retriesTotal, dead: this.deadLettersTotal };
    for (const outcome of outcomes) {
      if (outcome.kind === 'sent') this.sentTotal += 1;
      else if (outcome.kind === 'retry') this.retriesTotal += 1;
      else this.deadLettersTotal += 1;
    }
    for (const status of statuses) this.httpStatuses.set(status, (this.httpStatuses.get(status) ?? 0) + 1);
    this.batchDurationsMs.push(durationMs);
    if (this.batchDurationsMs.length > 1_000) this.batchDurationsMs.splice(0, 500);

    const prometheus = this.prometheus;
    if (prometheus === null) return;
    prometheus.sent.inc(this.sentTotal - before.sent);
    prometheus.retries.inc(this.retriesTotal - before.retries);
    prometheus.deadLettered.inc(this.deadLettersTotal - before.dead);
    for (const status of statuses) prometheus.httpResponses.inc({ status: String(status) });
    prometheus.batchDuration.observe(durationMs / 1_000);
  }
}
