import type { Database } from '@goldpdv/core';
import type { Authenticator } from './auth.js';
import type { CentralConfig } from './config.js';
import type { CentralLogger } from './logger.js';
import type { CentralMetrics } from './metrics.js';

/** What every feature's routes may use. Nothing here holds state another replica would need. */
export interface AppContext {
  config: CentralConfig;
  db: Database;
  logger: CentralLogger;
  auth: Authenticator;
  /** Prometheus metrics of this process, served at GET /metrics. */
  metrics: CentralMetrics;
  /** True once shutdown began: readiness turns 503 so the load balancer stops sending traffic here. */
  stopping(): boolean;
}
