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
import { checkDatabaseAtStart, describeDatabase, openDatabase, applySchema, type Database, type SchemaRole } from '../db/index.js';
import { daemonEnv, logSettingsFromEnv, secretValuesFromEnv, type DaemonEnv } from './daemon-env.js';
import { startWorkLoop, type CycleOutcome } from './work-loop.js';
import { STALLED_EXIT_CODE, startStallWatchdog } from './stall-watchdog.js';
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
  let db: Database;
  try {
    db = await openDatabase(databaseSettings, definition.service);
  } catch (error) {
    // pglite:// in an installation without PGlite (a production image) is a setting to fix, not a crash.
    if (!(error instanceof ConfigError)) throw error;
    await syncLogger.close();
    exitOnConfigError(definition.service, error);
  }
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

  if (config.LOOP_STALL_EXIT_MS > 0 && config.LOOP_STALL_EXIT_MS <= config.LOOP_STALL_TIMEOUT_MS) {
    await syncLogger.close();
    exitOnConfigError(
      definition.service,
      new ConfigError('LOOP_STALL_EXIT_MS', `LOOP_STALL_EXIT_MS: expected more than LOOP_STALL_TIMEOUT_MS (${config.LOOP_STALL_TIMEOUT_MS}), or 0; found ${config.LOOP_STALL_EXIT_MS}`),
    );
  }
  let databaseChecked = false;
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
      // Both inside the loop, not before it: a database that is down at boot is waited for, not fatal. What no
      // waiting can fix (no such database, a compatibility level too low) ends the process with exit 2.
      try {
        if (!databaseChecked) {
          const identity = await checkDatabaseAtStart(db, databaseSettings);
          // Not `level`: a second "level" key in the JSON line would shadow the log level for every reader.
          logger.info({ database: identity.database, databaseLevel: identity.level }, 'database checked');
          databaseChecked = true;
        }
        if (!schemaReady) {
          // A migration is progress, not a stall: the loop's heartbeat goes on while it runs.
          const result = await applySchema(db, { role: definition.schemaRole, logger, timeoutMs: config.DB_SCHEMA_TIMEOUT_MS, onProgress: () => health.beat() });
          logger.info({ applied: result.applied.length, alreadyApplied: result.alreadyApplied }, 'schema up to date');
          schemaReady = true;
        }
      } catch (error) {
        if (error instanceof ConfigError) {
          process.stderr.write(`${definition.service}: invalid configuration: ${error.message}\n`);
          logger.fatal({ err: error }, 'invalid configuration');
          // Not awaited: shutdown stops this very loop, which waits for this cycle to end.
          void shutdown.shutdown('invalid configuration', 2);
        }
        throw error;
      }
      return worker.runCycle(signal);
    },
  });
  shutdown.register('loop', () => loop.stop());
  if (config.LOOP_STALL_EXIT_MS > 0) {
    const watchdog = startStallWatchdog({
      health,
      exitAfterMs: config.LOOP_STALL_EXIT_MS,
      onStall(silenceMs) {
        logger.fatal({ silenceMs, boundMs: config.LOOP_STALL_EXIT_MS }, `work loop stalled; exiting with code ${STALLED_EXIT_CODE} so that the restart policy starts a new process`);
        // No graceful shutdown: it would wait for the very cycle that is stuck. The log line is flushed first.
        void syncLogger.close().finally(() => process.exit(STALLED_EXIT_CODE));
        setTimeout(() => process.exit(STALLED_EXIT_CODE), 3_000).unref();
      },
    });
    shutdown.register('stall-watchdog', () => watchdog.stop());
  }
  return { shutdown, healthPort: server.port };
}
