import { z } from 'zod';
import type { Logger } from 'pino';
import { loadConfigOrExit } from '../config/load-config.js';
import { SECRET_VARIABLES } from '../config/common-env.js';
import { databaseSettingsFromEnv } from '../config/database-settings.js';
import { ConfigError } from '../errors/index.js';
import { exitOnConfigError } from '../config/load-config.js';
import { HealthState, startHealthServer } from '../health/index.js';
import type { Shutdown } from '../shutdown/index.js';
import { startProcessLifecycle } from './process-lifecycle.js';
import { describeDatabase, openDatabase, applySchema, type Database, type SchemaRole } from '../db/index.js';
import { daemonEnv, logSettingsFromEnv, secretValuesFromEnv, type DaemonEnv } from './daemon-env.js';
import { startWorkLoop, type CycleOutcome } from './work-loop.js';
import { createCycleHistogram, createMetricsRegistry, metricsPayload, type Registry } from '../metrics/index.js';

export interface DaemonContext<Config> {
  config: Config;
  logger: Logger;
  db: Database;
  health: HealthState;
  /**
   * This process's Prometheus registry (served at GET /metrics of the health port); a worker adds its own metrics.
   * runDaemon always sets it; it is optional so that a worker can be built on its own (tests, benches).
   */
  metrics?: Registry;
}

export interface DaemonWorker {
  runCycle(signal: AbortSignal): Promise<CycleOutcome | void>;
  /** Releases whatever the worker holds (leases, HTTP agents). Called after the loop has stopped. */
  stop?(): Promise<void>;
}

export interface DaemonDefinition<Shape extends z.ZodRawShape> {
  service: string;
  /** Which schema scripts this process applies at start. */
  schemaRole: SchemaRole;
  /** The daemon's own variables, added to the shared ones. */
  env: Shape;
  /** Names of the daemon's own secret variables, never printed. */
  secretVariables?: readonly string[];
  /** Context put on every log line (pdvId...). */
  logContext?: (config: DaemonEnv & z.infer<z.ZodObject<Shape>>) => Record<string, unknown>;
  createWorker(context: DaemonContext<DaemonEnv & z.infer<z.ZodObject<Shape>>>): Promise<DaemonWorker> | DaemonWorker;
}

export interface RunningDaemon {
  shutdown: Shutdown;
  healthPort: number;
}

/**
 * Starts a daemon: configuration (exit 2 on a bad value), logs, health server, database, schema, work loop and
 * signal handling. Components are registered in start order so that shutdown stops them in reverse: the loop
 * first, the logger last, so that the last lines still reach the files.
 */
export async function runDaemon<Shape extends z.ZodRawShape>(definition: DaemonDefinition<Shape>): Promise<RunningDaemon> {
  const secretNames = new Set([...SECRET_VARIABLES, ...(definition.secretVariables ?? [])]);
  const schema = z.object({ ...daemonEnv, ...definition.env });
  const config = loadConfigOrExit(definition.service, schema, { secretVariables: secretNames }) as DaemonEnv & z.infer<z.ZodObject<Shape>>;
  let databaseSettings;
  try {
    databaseSettings = databaseSettingsFromEnv(config);
  } catch (error) {
    if (error instanceof ConfigError) exitOnConfigError(definition.service, error);
    throw error;
  }

  const { syncLogger, logger, shutdown } = startProcessLifecycle(definition.service, {
    logSettings: logSettingsFromEnv(config),
    secrets: secretValuesFromEnv(config, secretNames),
    base: definition.logContext?.(config) ?? {},
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });

  const health = new HealthState({ maxLoopSilenceMs: config.LOOP_STALL_TIMEOUT_MS, requiredComponents: ['database', 'loop'] });
  const metrics = createMetricsRegistry();
  const server = await startHealthServer({
    host: config.HEALTH_HOST,
    port: config.HEALTH_PORT,
    state: health,
    service: definition.service,
    metrics: () => metricsPayload(metrics),
  });
  shutdown.register('health-server', () => server.stop());

  logger.info({ database: describeDatabase(databaseSettings), healthPort: server.port }, 'starting');
  const db = await openDatabase(databaseSettings, definition.service);
  shutdown.register('database', () => db.close());

  let worker: DaemonWorker;
  try {
    worker = await definition.createWorker({ config, logger, db, health, metrics });
  } catch (error) {
    // A setting that is only invalid in combination with another is found here; it is still a config error.
    if (!(error instanceof ConfigError)) throw error;
    await syncLogger.close();
    exitOnConfigError(definition.service, error);
  }
  shutdown.register('worker', () => worker.stop?.());

  let schemaReady = !config.DB_SCHEMA_AUTO_APPLY;
  const loop = startWorkLoop({
    name: definition.service,
    health,
    logger,
    pollIntervalMs: config.POLL_INTERVAL_MS,
    startJitterMs: config.START_JITTER_MS,
    cycleDuration: createCycleHistogram(metrics).labels({ service: definition.service }),
    checkDatabase: async () => {
      await db.query('SELECT 1 AS ok');
    },
    async runCycle(signal) {
      // Applied inside the loop, not before it: a database that is down at boot is waited for, not fatal.
      if (!schemaReady) {
        const result = await applySchema(db, { role: definition.schemaRole, logger });
        logger.info({ applied: result.applied.length, alreadyApplied: result.alreadyApplied }, 'schema up to date');
        schemaReady = true;
      }
      return worker.runCycle(signal);
    },
  });
  shutdown.register('loop', () => loop.stop());
  return { shutdown, healthPort: server.port };
}
