import { Counter, createMetricsRegistry, DURATION_BUCKETS_SECONDS, Histogram, metricsPayload, type MetricsPayload, type Registry } from '@goldpdv/core';

/**
 * The central API's Prometheus metrics, on a registry of its own (tests run several APIs in one process).
 * Route labels are route patterns (/v1/events/{eventId}), never raw paths, so the series count stays bounded.
 */
export class CentralMetrics {
  readonly register: Registry;
  private readonly requests: Counter<'route' | 'status'>;
  private readonly duration: Histogram<'route'>;
  private readonly ingested: Counter<'status'>;
  private readonly rowsServed: Counter;

  constructor(register: Registry = createMetricsRegistry()) {
    this.register = register;
    const registers = [register];
    this.requests = new Counter({ name: 'goldpdv_http_requests_total', help: 'HTTP requests answered, by route pattern and status', labelNames: ['route', 'status'], registers });
    this.duration = new Histogram({ name: 'goldpdv_http_request_duration_seconds', help: 'Time to answer a request, long polls included', labelNames: ['route'], buckets: DURATION_BUCKETS_SECONDS, registers });
    this.ingested = new Counter({ name: 'goldpdv_events_ingested_total', help: 'Events judged by the ingest, by outcome (applied, duplicate, conflict, rejected, retry)', labelNames: ['status'], registers });
    this.rowsServed = new Counter({ name: 'goldpdv_changes_rows_served_total', help: 'Change rows returned by GET /v1/changes', registers });
  }

  request(route: string, status: number, seconds: number): void {
    this.requests.inc({ route, status: String(status) });
    this.duration.observe({ route }, seconds);
  }

  eventsIngested(results: readonly { status: string }[]): void {
    for (const result of results) this.ingested.inc({ status: result.status });
  }

  changesServed(rows: number): void {
    if (rows > 0) this.rowsServed.inc(rows);
  }

  payload(): Promise<MetricsPayload> {
    return metricsPayload(this.register);
  }
}
