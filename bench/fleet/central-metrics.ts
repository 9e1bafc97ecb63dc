/** What the harness reads from a replica's Prometheus /metrics (admin port). */
export interface CentralMetrics {
  /** goldpdv_http_requests_total summed by route. */
  requestsByRoute: Map<string, number>;
  /**
   * The serving counters below, summed over their labels; a name the replica does not expose (an older
   * central-api) is absent, so that "not measured" never reads as zero.
   */
  counters: Map<ServingCounter, number>;
}

/** central-api's counters of the serving path (shared pages, serving clock, long-poll hub, refusals). */
export const SERVING_COUNTERS = [
  'goldpdv_shared_page_reads_total',
  'goldpdv_shared_page_hits_total',
  'goldpdv_shared_page_quiet_total',
  'goldpdv_wait_rounds_worked_total',
  'goldpdv_wait_rounds_shared_total',
  'goldpdv_wait_rounds_quiet_total',
  'goldpdv_serving_clock_ticks_total',
  'goldpdv_long_polls_waiting',
  'goldpdv_capacity_refused_total',
  'goldpdv_rate_limited_total',
] as const;
export type ServingCounter = (typeof SERVING_COUNTERS)[number];
const SERVING = new Set<string>(SERVING_COUNTERS);

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([-+0-9.eEInfNa]+)/;

export function parseMetrics(text: string): CentralMetrics {
  const requestsByRoute = new Map<string, number>();
  const counters = new Map<ServingCounter, number>();
  for (const line of text.split('\n')) {
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const [, name = '', labels = '', raw] = match;
    const value = Number(raw);
    if (name === 'goldpdv_http_requests_total') {
      const route = /route="([^"]*)"/.exec(labels)?.[1] ?? '?';
      requestsByRoute.set(route, (requestsByRoute.get(route) ?? 0) + value);
    } else if (SERVING.has(name)) counters.set(name as ServingCounter, (counters.get(name as ServingCounter) ?? 0) + value);
  }
  return { requestsByRoute, counters };
}

/** The metrics of every replica added together. */
export async function scrapeMetrics(adminUrls: readonly string[]): Promise<CentralMetrics> {
  const total: CentralMetrics = { requestsByRoute: new Map(), counters: new Map() };
  for (const url of adminUrls) {
    const response = await fetch(`${url}/metrics`);
    if (!response.ok) throw new Error(`GET ${url}/metrics answered ${response.status}`);
    const one = parseMetrics(await response.text());
    for (const [route, value] of one.requestsByRoute) total.requestsByRoute.set(route, (total.requestsByRoute.get(route) ?? 0) + value);
    for (const [name, value] of one.counters) total.counters.set(name, (total.counters.get(name) ?? 0) + value);
  }
  return total;
}

/** Requests of one route between two scrapes. */
export function requestsBetween(before: CentralMetrics, after: CentralMetrics, route: string): number {
  return (after.requestsByRoute.get(route) ?? 0) - (before.requestsByRoute.get(route) ?? 0);
}

/** A serving counter's growth between two scrapes; null when the replicas do not expose it. */
export function counterBetween(before: CentralMetrics, after: CentralMetrics, name: ServingCounter): number | null {
  const start = before.counters.get(name);
  const end = after.counters.get(name);
  return start === undefined || end === undefined ? null : end - start;
}
