import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { MetricsPayload } from '../health/index.js';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Period of the event-loop lag sampling of the default metrics. */
export const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * One registry per process (or per test), never prom-client's global one: a test that starts several services
 * in one process would otherwise see "metric already registered" or counters mixed between them.
 */
export function createMetricsRegistry(options: { defaultMetrics?: boolean; labels?: Record<string, string> } = {}): Registry {
  const register = new Registry();
  if (options.labels) register.setDefaultLabels(options.labels);
  // process_cpu, resident memory, event loop lag, open handles: what tells a stuck process from a busy one.
  // The lag is sampled by a timer of this period. prom-client's 10 ms wakes the process 100 times a second: on its
  // own that took 0.45% of a core in an otherwise idle Node 20 process, 0.05% at 100 ms (docs/benchmarks.md, "Idle
  // cost"). Any stall of 100 ms or more still shows, as the timer due during a stall is late by it.
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  return register;
}

/** Seconds buckets from a fast idle cycle up to a long-poll or a big snapshot page. */
export const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The work loop's cycle duration, labelled with the daemon's service name. */
export function createCycleHistogram(register: Registry): Histogram<'service'> {
  return new Histogram({
    name: 'goldpdv_cycle_duration_seconds',
    help: 'Duration of one work-loop cycle of the daemon, failed cycles included',
    labelNames: ['service'],
    buckets: DURATION_BUCKETS_SECONDS,
    registers: [register],
  });
}

/** The Prometheus text exposition of `register`, in the shape the health server serves at GET /metrics. */
export async function metricsPayload(register: Registry): Promise<MetricsPayload> {
  return { contentType: register.contentType, body: await register.metrics() };
}
