import { Counter, createMetricsRegistry, DURATION_BUCKETS_SECONDS, Gauge, Histogram, metricsPayload, type MetricsPayload, type Registry } from '@goldpdv/core';

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

  /**
   * goldpdv_fleet_pdvs{state}: how many PDVs the fleet view puts in each state, read when scraped. One series
   * per state, never one per PDV: 10,000 PDVs cost seven series.
   */
  watchFleet(states: readonly string[], count: () => Promise<Readonly<Record<string, number>> | null>): void {
    new Gauge({
      name: 'goldpdv_fleet_pdvs',
      help: 'PDVs by fleet state (silent, auth-refused, unreachable-long, dead-letters, behind, ok, revoked), as central-api fleet lists them',
      labelNames: ['state'],
      registers: [this.register],
      async collect() {
        const counts = await count();
        if (counts === null) return;
        for (const state of states) this.set({ state }, counts[state] ?? 0);
      },
    });
  }

  /** goldpdv_rate_limited_total: requests answered 429 because their PDV exceeded its rate. */
  watchRateLimit(limit: { refused: number }): void {
    countedFrom(this.register, 'goldpdv_rate_limited_total', 'Requests answered 429 because their PDV sent more than PDV_RATE_LIMIT_PER_S', () => limit.refused);
  }

  /**
   * The pull side at fleet scale, read when scraped: how the shared pages answer (database reads, answers from
   * a page read for another request, quiet answers with no read), the long polls waiting, the clock's ticks,
   * and the requests refused by a cap.
   */
  watchServing(serving: {
    pages: { stats: { reads: number; hits: number; quiet: number }; keptBytes: number };
    hub: { waiting: number };
    clock: { ticks: number };
    /**
     * Wait rounds (a wait's or a stream line's reads) worked out, handed over from one worked out for another
     * PDV, and changes a waiting stream was found to have nothing in from such a round (it waited on).
     */
    rounds: { readonly worked: number; readonly shared: number; readonly quiet: number };
    caps: readonly { what: string; refused: number }[];
  }): void {
    const registers = [this.register];
    countedFrom(this.register, 'goldpdv_shared_page_reads_total', 'Changes pages read from the database, each served to every request for the same window', () => serving.pages.stats.reads);
    countedFrom(this.register, 'goldpdv_shared_page_hits_total', 'Changes pages answered from a page read for another request', () => serving.pages.stats.hits);
    countedFrom(this.register, 'goldpdv_shared_page_quiet_total', 'Changes pages answered empty from the serving clock, with no read', () => serving.pages.stats.quiet);
    countedFrom(this.register, 'goldpdv_wait_rounds_worked_total', 'Wait rounds (which tables changed for a PDV, their first pages) worked out', () => serving.rounds.worked);
    countedFrom(this.register, 'goldpdv_wait_rounds_shared_total', 'Wait rounds handed over from one worked out for another PDV while none of their tables moved', () => serving.rounds.shared);
    countedFrom(this.register, 'goldpdv_wait_rounds_quiet_total', 'Changes a waiting change stream had nothing in (another loja\'s), known from a round worked out for another stream: it waited on without a round of its own', () => serving.rounds.quiet);
    countedFrom(this.register, 'goldpdv_serving_clock_ticks_total', 'Readings of the versions of every served table (one statement each)', () => serving.clock.ticks);
    new Gauge({ name: 'goldpdv_shared_pages_bytes', help: 'Memory the kept changes pages take (their JSON size)', registers, collect() { this.set(serving.pages.keptBytes); } });
    new Gauge({ name: 'goldpdv_long_polls_waiting', help: 'GET /v1/changes requests waiting for a change', registers, collect() { this.set(serving.hub.waiting); } });
    new Counter({
      name: 'goldpdv_capacity_refused_total',
      help: 'Requests answered 503 because the replica already served as many of their kind as it takes',
      labelNames: ['kind'],
      registers,
      collect() {
        this.reset();
        for (const cap of serving.caps) this.inc({ kind: cap.what }, cap.refused);
      },
    });
  }

  payload(): Promise<MetricsPayload> {
    return metricsPayload(this.register);
  }
}

/** A counter whose value another object keeps: set from it when scraped. */
function countedFrom(register: Registry, name: string, help: string, value: () => number): void {
  new Counter({
    name,
    help,
    registers: [register],
    collect() {
      this.reset();
      this.inc(value());
    },
  });
}
