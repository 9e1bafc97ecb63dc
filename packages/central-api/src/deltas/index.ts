import type { Database } from '@goldpdv/core';
import type { Authenticator } from '../auth.js';
import type { Route } from '../http/route.js';
import type { CentralLogger } from '../logger.js';
import { ChangeNotifier } from './change-notifier.js';
import { createChangesService } from './changes-service.js';
import { resolveDeltasConfig } from './deltas-config.js';
import { DELTA_DIALECTS } from './dialects.js';
import { startRetentionSchedule } from './retention-schedule.js';
import { pullRoutes } from './routes.js';
import { createSnapshotService } from './snapshot-service.js';
import { createTableRegistry } from './table-registry.js';

export { deltasEnv, deltasEnvSchema, resolveDeltasConfig, type DeltasConfig } from './deltas-config.js';
export { cleanupChangeLog, type ChangeLogCleanupOptions, type ChangeLogCleanupResult } from './retention.postgres.js';

/** What the pull routes use of the application context (AppContext satisfies it). */
export interface DeltasContext {
  db: Database;
  /** The API's config; the deltas variables are read from it when present (see deltas-config.ts). */
  config: object;
  logger: CentralLogger;
  auth: Authenticator;
  /** True once shutdown began: long polls answer at once and the retention timer ends. */
  stopping?: () => boolean;
  /** Counts the change rows served; absent in tests that build the routes alone. */
  metrics?: { changesServed(rows: number): void };
}

/**
 * GET /v1/tables, /v1/changes and /v1/snapshot, plus what they need running in the background: the change
 * notifier (polls only while a request waits) and, on PostgreSQL, the change-log retention timer.
 */
export function deltaRoutes(context: DeltasContext): Route[] {
  const config = resolveDeltasConfig(context.config);
  const logger = context.logger.child({ component: 'deltas' });
  const isStopping = context.stopping ?? (() => false);
  const dialect = DELTA_DIALECTS[context.db.dialect];
  const registry = createTableRegistry({ db: context.db, dialect, filters: config.ROW_FILTERS, ttlMs: config.TABLE_REGISTRY_TTL_MS, logger });
  const notifier = new ChangeNotifier({
    readHeads: (tables) => dialect.readChangeHeads(context.db, tables),
    intervalMs: config.CHANGES_POLL_INTERVAL_MS,
    logger,
    isStopping,
  });
  startRetentionSchedule({ db: context.db, intervalMs: config.CHANGE_RETENTION_CLEANUP_INTERVAL_MS, logger, isStopping });
  return pullRoutes({
    auth: context.auth,
    registry,
    changes: createChangesService({ db: context.db, dialect, registry, notifier }),
    snapshot: createSnapshotService({ db: context.db, dialect, registry }),
    maxWaitMs: config.CHANGES_MAX_WAIT_MS,
    onChangesServed: (rows) => context.metrics?.changesServed(rows),
  });
}
