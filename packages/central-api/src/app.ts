import { ConfigError, notificationListenerFor, type Database, type NotificationListener } from '@goldpdv/core';
import type { AppContext } from './app-context.js';
import { createAuthenticator } from './auth.js';
import type { CentralConfig } from './config.js';
import { storesFor, type DialectStores } from './dialect-stores.js';
import type { CentralLogger } from './logger.js';
import { bootstrapPdvs } from './pdv/bootstrap-pdvs.js';
import { recordingLastSeen, startLastSeenRecorder } from './pdv/last-seen.js';
import { startStatusReportRecorder } from './pdv/status-reports.js';
import { FLEET_STATES } from './pdv/fleet.js';
import { fleetCounts } from './pdv/fleet-counts.js';
import { fleetThresholdsOf } from './pdv/pdv-config.js';
import { CentralMetrics } from './metrics.js';
import { PdvRateLimit, rateLimited } from './limits/pdv-rate-limit.js';
import { adminRoutes } from './admin-routes.js';
import { buildRoutes } from './routes.js';
import { createCentralServer, type CentralServer } from './server.js';

export interface CentralApi {
  port: number;
  /** The admin port (/metrics), bound to ADMIN_HOST. */
  adminPort: number;
  server: CentralServer;
  /** Stops taking requests and lets in-flight ones finish for up to drainMs. Does not close the database. */
  stop(drainMs: number): Promise<void>;
}

/**
 * Starts the API on an open database whose schema is applied: chooses the dialect's stores, checks the
 * configured handlers exist, registers PDV_TOKENS, then listens. Shared by main.ts and the tests, which run it
 * in-process on port 0.
 */
export async function startCentralApi(config: CentralConfig, db: Database, logger: CentralLogger): Promise<CentralApi> {
  const stores = storesFor(db.dialect);
  await assertHandlersExist(config, db, stores);
  await bootstrapPdvs(db, stores.pdvs, config.PDV_TOKENS, logger);

  const lastSeen = startLastSeenRecorder({ db, store: stores.pdvs, intervalMs: config.PDV_LAST_SEEN_INTERVAL_MS, logger });
  const statusReports = startStatusReportRecorder({ db, store: stores.statusReports, intervalMs: config.FLEET_FLUSH_INTERVAL_MS, logger });
  const rateLimit = new PdvRateLimit({ perSecond: config.PDV_RATE_LIMIT_PER_S, burst: config.PDV_RATE_LIMIT_BURST });
  let stopping = false;
  const stopBackground: (() => void)[] = [];
  const changeSignal = changeSignalFor(config, db, logger);
  const context: AppContext = {
    config,
    db,
    stores,
    logger,
    changeSignal,
    auth: rateLimited(
      recordingLastSeen(createAuthenticator(db, stores.pdvs, { cacheTtlMs: config.AUTH_CACHE_TTL_MS, maxCachedTokens: config.AUTH_CACHE_MAX_TOKENS }), lastSeen),
      rateLimit,
    ),
    metrics: new CentralMetrics(),
    statusReports,
    stopping: () => stopping,
    onStop: (stop) => stopBackground.push(stop),
  };
  context.metrics.watchRateLimit(rateLimit);
  context.metrics.watchFleet(FLEET_STATES, fleetCounts({ db, stores, thresholds: fleetThresholdsOf(config), logger, minIntervalMs: 10_000 }));
  const serverOptions = {
    logger,
    maxBodyBytes: config.MAX_BODY_BYTES,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.KEEP_ALIVE_TIMEOUT_MS,
    retryAfterSeconds: config.RETRY_AFTER_SECONDS,
    maxConnections: config.MAX_CONNECTIONS,
    onAnswered: (route: string, status: number, seconds: number) => context.metrics.request(route, status, seconds),
  };
  const server = createCentralServer({ ...serverOptions, routes: buildRoutes(context) });
  const admin = createCentralServer({ ...serverOptions, routes: adminRoutes(context) });
  let port: number;
  let adminPort: number;
  try {
    port = await server.listen(config.HTTP_PORT, config.HTTP_HOST);
    adminPort = await admin.listen(config.ADMIN_PORT, config.ADMIN_HOST);
  } catch (error) {
    await Promise.all([server.stop(0), admin.stop(0)]);
    await Promise.all([lastSeen.stop(), statusReports.stop(), changeSignal?.stop()]);
    throw error;
  }
  return {
    port,
    adminPort,
    server,
    async stop(drainMs) {
      stopping = true;
      for (const stop of stopBackground.splice(0)) stop();
      await Promise.all([server.stop(drainMs), admin.stop(Math.min(drainMs, 1_000))]);
      // After the last request: what the replica saw since its last write is written before the pool closes,
      // and the LISTEN connection is closed with it.
      await Promise.all([lastSeen.stop(), statusReports.stop(), changeSignal?.stop()]);
    },
  };
}

/** The channel central/0017_change_notify.sql notifies when the change log, tracking registry or restore mark is written. */
export const CHANGE_CHANNEL = 'sync_change';

/**
 * The serving clock's change notification: one LISTEN connection, on a PostgreSQL server only. Elsewhere (SQL
 * Server, PGlite, a test's database handed in without DB_* settings) none: the clock then ticks every
 * CHANGES_POLL_INTERVAL_MS while PDVs wait.
 */
function changeSignalFor(config: CentralConfig, db: Database, logger: CentralLogger): NotificationListener | null {
  return notificationListenerFor(config, db, logger.child({ component: 'change-signal' }), {
    channel: CHANGE_CHANNEL,
    subject: 'change',
    fallback: 'reading the versions every CHANGES_POLL_INTERVAL_MS while PDVs wait',
    applicationName: 'central-api-changes',
  });
}

/** A handler that does not exist would fail every event of its type; better to refuse to start. */
async function assertHandlersExist(config: CentralConfig, db: Database, stores: DialectStores): Promise<void> {
  for (const [type, routine] of config.EVENT_HANDLERS) {
    if (!(await stores.inbox.routineExists(db, routine))) {
      throw new ConfigError('EVENT_HANDLERS', `EVENT_HANDLERS: expected ${stores.inbox.describeRoutine(routine)} in the database for ${type}; found none`);
    }
  }
}
