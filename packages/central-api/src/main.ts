import {
  applySchema,
  checkDatabaseAtStart,
  ConfigError,
  databaseSettingsFromEnv,
  describeDatabase,
  exitOnConfigError,
  loadConfigOrExit,
  startProcessLifecycle,
  logSettingsFromEnv,
  openDatabase,
  type DatabaseSettings,
} from '@goldpdv/core';
import { startCentralApi } from './app.js';
import { applyChangeRetention } from './change-retention/change-retention.js';
import { CENTRAL_SECRET_VARIABLES, centralEnvSchema, SERVICE_NAME, secretValues } from './config.js';

// Of the shutdown bound, the share given to in-flight requests; the rest closes the pool and flushes the logs.
const DRAIN_SHARE = 0.6;

async function main(): Promise<void> {
  const config = loadConfigOrExit(SERVICE_NAME, centralEnvSchema, { secretVariables: CENTRAL_SECRET_VARIABLES });
  let databaseSettings: DatabaseSettings;
  try {
    databaseSettings = databaseSettingsFromEnv(config);
  } catch (error) {
    if (error instanceof ConfigError) exitOnConfigError(SERVICE_NAME, error);
    throw error;
  }

  const { logger, shutdown } = startProcessLifecycle(SERVICE_NAME, {
    logSettings: logSettingsFromEnv(config),
    secrets: secretValues(config),
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });

  try {
    logger.info({ database: describeDatabase(databaseSettings) }, 'starting');
    const db = await openDatabase(databaseSettings, SERVICE_NAME);
    shutdown.register('database', () => db.close());
    const identity = await checkDatabaseAtStart(db, databaseSettings);
    // Not `level`: a second "level" key in the JSON line would shadow the log level for every reader.
    logger.info({ database: identity.database, databaseLevel: identity.level }, 'database checked');
    if (config.DB_SCHEMA_AUTO_APPLY) {
      const variables: Record<string, string> = config.CT_RETENTION_DAYS === undefined ? {} : { CT_RETENTION_DAYS: String(config.CT_RETENTION_DAYS) };
      const result = await applySchema(db, { role: 'central', logger, variables, timeoutMs: config.DB_SCHEMA_TIMEOUT_MS });
      logger.info({ applied: result.applied.length, alreadyApplied: result.alreadyApplied }, 'schema up to date');
    }
    await applyChangeRetention(db, config.CT_RETENTION_DAYS, logger);
    const api = await startCentralApi(config, db, logger);
    shutdown.register('http-server', () => api.stop(Math.floor(config.SHUTDOWN_TIMEOUT_MS * DRAIN_SHARE)));
    logger.info({ port: api.port, adminPort: api.adminPort }, 'listening');
  } catch (error) {
    if (error instanceof ConfigError) {
      // Found only once the database answered (a missing handler routine, an unknown loja): same exit as a bad value.
      process.stderr.write(`${SERVICE_NAME}: invalid configuration: ${error.message}\n`);
      logger.fatal({ err: error }, 'invalid configuration');
      await shutdown.shutdown('invalid configuration', 2);
      return;
    }
    logger.fatal({ err: error }, 'start-up failed');
    await shutdown.shutdown('start-up failed', 1);
  }
}

void main();
