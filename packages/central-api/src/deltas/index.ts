import type { Database } from '@goldpdv/core';
import type { Authenticator } from '../auth.js';
import type { Route } from '../http/route.js';
import type { CentralLogger } from '../logger.js';
import { createChangesService, type ChangesService } from './changes-service.js';
import type { DeltaStore } from './db/delta-store.js';
import { resolveDeltasConfig } from './deltas-config.js';
import { LongPollHub } from './live/long-poll-hub.js';
import { ServingClock, type ChangeSignal } from './live/serving-clock.js';
import { SharedPages } from './live/shared-pages.js';
import { ConcurrencyCap } from '../limits/concurrency-cap.js';
import { startRetentionSchedule } from './retention-schedule.js';
import { pullRoutes } from './routes.js';
import { createSnapshotService } from './snapshot-service.js';
import { createSyncTokens } from './sync-token.js';
import { createTableRegistry, type TableRegistry } from './table-registry.js';
import { createTokenKeyring } from './token-keyring.js';

export { deltasEnv, deltasEnvSchema, resolveDeltasConfig, type DeltasConfig } from './deltas-config.js';
export { cleanupChangeLog, type ChangeLogCleanupOptions, type ChangeLogCleanupResult } from './db/retention.postgres.js';
export type { DeltaStore } from './db/delta-store.js';
export { readServedTables } from './table-registry.js';
export { readServedTablesFile, sampleServedTables, sampleServedTablesPath } from './declaration/served-tables-file.js';
export type { ServedTablesDeclaration } from './declaration/served-tables-declaration.js';

/** pull-service's default page size: its long poll's one-row read and its page of the same window are one read. */
const SHARED_READ_MIN_LIMIT = 500;

/** What the pull routes use of the application context (AppContext satisfies it). */
export interface DeltasContext {
  db: Database;
  /** The stores of the database's dialect, chosen once when the server starts (dialect-stores.ts). */
  stores: { deltas: DeltaStore };
  /** The API's config; the deltas variables are read from it when present (see deltas-config.ts). */
  config: object;
  logger: CentralLogger;
  auth: Authenticator;
  /** True once shutdown began: long polls answer at once and the retention timer ends. */
  stopping?: () => boolean;
  /** Counts the change rows served, and reads the shared pages' figures; absent in tests that build the routes alone. */
  metrics?: { changesServed(rows: number): void; watchServing?(serving: { pages: SharedPages; hub: LongPollHub; clock: ServingClock; rounds: ChangesService['roundStats']; caps: readonly ConcurrencyCap[] }): void };
  /** Takes the retention timer's stop, for the server's stop(); tests that build the routes alone stop it themselves. */
  onStop?: (stop: () => void) => void;
  /** The change notification the serving clock rests on between changes (PostgreSQL); none: it ticks every interval. */
  changeSignal?: ChangeSignal | null;
}

export interface Deltas {
  routes: Route[];
  /** Holds the long polls; its `waiting` count lets a test see a request wait instead of guessing with a sleep. */
  hub: LongPollHub;
  /** The versions the reads of this replica share (one statement per tick). */
  clock: ServingClock;
  /** The pages read once and served to many, with their figures. */
  pages: SharedPages;
  /** The served tables, as the declaration and the catalog make them. */
  registry: TableRegistry;
  /** The pull services; their wait rounds' figures (roundStats) are what a test of shared rounds reads. */
  changes: ChangesService;
  /**
   * Settles once the start's check of the declaration against the catalog is done (its problems logged).
   * Requests meanwhile share that read, so a test that changes the catalog right after the start waits for it.
   */
  checked: Promise<void>;
}

/**
 * GET /v1/tables, /v1/changes and /v1/snapshot, plus what they need running in the background: the serving
 * clock (ticks only while requests wait or read) and, where the store has one, the change-log retention timer.
 */
export function startDeltas(context: DeltasContext): Deltas {
  const config = resolveDeltasConfig(context.config);
  const logger = context.logger.child({ component: 'deltas' });
  const isStopping = context.stopping ?? (() => false);
  const { db } = context;
  const store = context.stores.deltas;
  const registry = createTableRegistry({ db, store, declaration: config.SERVED_TABLES_FILE, ttlMs: config.TABLE_REGISTRY_TTL_MS, logger });
  // Checked once at start, so that a declaration's problems are in the log before any PDV asks; a failed read
  // (the database not reachable yet) is only noted: every request reads the catalog again.
  const checked = registry.list().then(
    () => undefined,
    (error: unknown) => logger.warn({ err: error }, 'could not check SERVED_TABLES_FILE against the catalog yet; it is checked again on the next request'),
  );
  const clock = new ServingClock({
    read: (tables, previous) => store.readClock(db, tables, previous),
    tables: async () => (await registry.list()).map((table) => table.trackingName),
    intervalMs: config.CHANGES_POLL_INTERVAL_MS,
    signal: context.changeSignal ?? null,
    idleCheckMs: config.CHANGES_IDLE_CHECK_MS,
    notifiedGapMs: config.CHANGES_NOTIFIED_GAP_MS,
    logger,
    isStopping,
  });
  const hub = new LongPollHub(clock, isStopping);
  const pages = new SharedPages({
    db,
    store,
    maxBytes: config.SHARED_PAGES_MAX_MB * 1024 * 1024,
    maxAgeMs: config.SHARED_PAGES_MAX_AGE_MS,
    minReadLimit: SHARED_READ_MIN_LIMIT,
    windowStart: (trackingName, since) => clock.windowStart(trackingName, since),
  });
  const retryAfterSeconds = (context.config as { RETRY_AFTER_SECONDS?: number }).RETRY_AFTER_SECONDS ?? 5;
  const caps = {
    longPolls: new ConcurrencyCap('long polls', config.LONG_POLLS_MAX, retryAfterSeconds),
    snapshots: new ConcurrencyCap('snapshot pages', config.SNAPSHOTS_MAX_CONCURRENT, retryAfterSeconds),
  };
  const tokens = createSyncTokens(createTokenKeyring({ db, store, ttlMs: config.SYNC_TOKEN_KEYS_TTL_MS }));
  const changes = createChangesService({ db, store, registry, clock, pages, hub, tokens, acceptContractV1: config.PULL_CONTRACT_V1 });
  context.metrics?.watchServing?.({ pages, hub, clock, rounds: changes.roundStats, caps: [caps.longPolls, caps.snapshots] });
  // At stop, waiting long polls answer at once (their empty page), before the server drains: a stopped clock
  // would never tick again to let them go.
  context.onStop?.(() => {
    hub.releaseAll('stopping');
    clock.stop();
    changes.stop();
  });
  const retention = startRetentionSchedule({ db, cleanup: store.cleanupChangeLog, intervalMs: config.CHANGE_RETENTION_CLEANUP_INTERVAL_MS, logger, isStopping });
  context.onStop?.(() => retention.stop());
  const routes = pullRoutes({
    auth: context.auth,
    registry,
    changes,
    snapshot: createSnapshotService({ db, store, registry, tokens, clock }),
    maxWaitMs: config.CHANGES_MAX_WAIT_MS,
    maxStreamMs: config.CHANGES_STREAM_MAX_MS,
    caps,
    onChangesServed: (rows) => context.metrics?.changesServed(rows),
  });
  return { routes, hub, clock, pages, registry, changes, checked };
}

export const deltaRoutes = (context: DeltasContext): Route[] => startDeltas(context).routes;
