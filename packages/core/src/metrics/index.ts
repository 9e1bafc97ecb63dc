export { Counter, Gauge, Histogram, Registry, createCycleHistogram, createMetricsRegistry, DURATION_BUCKETS_SECONDS, metricsPayload } from './registry.js';
