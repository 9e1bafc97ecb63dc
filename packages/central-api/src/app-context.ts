import type { Database, NotificationListener } from '@goldpdv/core';
import type { Authenticator } from './auth.js';
import type { CentralConfig } from './config.js';
import type { DialectStores } from './dialect-stores.js';
import type { CentralLogger } from './logger.js';
import type { CentralMetrics } from './metrics.js';
import type { StatusReportRecorder } from './pdv/status-reports.js';

/** What every feature's routes may use. Nothing here holds state another replica would need. */
export interface AppContext {
  config: CentralConfig;
  db: Database;
  /** The database operations of db's dialect, chosen once when the server was created. */
  stores: DialectStores;
  logger: CentralLogger;
  auth: Authenticator;
  /** Prometheus metrics of this process, served at GET /metrics. */
  metrics: CentralMetrics;
  /** The PDVs' latest status reports, kept in memory and stored every FLEET_FLUSH_INTERVAL_MS. */
  statusReports: Pick<StatusReportRecorder, 'note'>;
  /**
   * The change notification of a PostgreSQL server (central/0017), one LISTEN connection per replica; null on
   * SQL Server and PGlite, and where DB_URL does not name a server (a database handed in by a test).
   */
  changeSignal?: NotificationListener | null;
  /** True once shutdown began: readiness turns 503 so the load balancer stops sending traffic here. */
  stopping(): boolean;
  /** Registers work in the background (a timer) that the server's stop() must end. */
  onStop(stop: () => void): void;
}
