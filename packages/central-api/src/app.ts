import { ConfigError, type Database } from '@goldpdv/core';
import type { AppContext } from './app-context.js';
import { createAuthenticator } from './auth.js';
import type { CentralConfig } from './config.js';
import { INBOX_DIALECTS } from './ingest/inbox-dialect.js';
import type { CentralLogger } from './logger.js';
import { bootstrapPdvs } from './pdv/bootstrap-pdvs.js';
import { CentralMetrics } from './metrics.js';
import { buildRoutes } from './routes.js';
import { createCentralServer, type CentralServer } from './server.js';

export interface CentralApi {
  port: number;
  server: CentralServer;
  /** Stops taking requests and lets in-flight ones finish for up to drainMs. Does not close the database. */
  stop(drainMs: number): Promise<void>;
}

/**
 * Starts the API on an open database whose schema is applied: checks the configured handlers exist, registers
 * PDV_TOKENS, then listens. Shared by main.ts and the tests, which run it in-process on port 0.
 */
export async function startCentralApi(config: CentralConfig, db: Database, logger: CentralLogger): Promise<CentralApi> {
  await assertHandlersExist(config, db);
  await bootstrapPdvs(db, config.PDV_TOKENS, logger);

  let stopping = false;
  const context: AppContext = {
    config,
    db,
    logger,
    auth: createAuthenticator(db, { cacheTtlMs: config.AUTH_CACHE_TTL_MS }),
    metrics: new CentralMetrics(),
    stopping: () => stopping,
  };
  const server = createCentralServer({
    routes: buildRoutes(context),
    logger,
    maxBodyBytes: config.MAX_BODY_BYTES,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.KEEP_ALIVE_TIMEOUT_MS,
    retryAfterSeconds: config.RETRY_AFTER_SECONDS,
    onAnswered: (route, status, seconds) => context.metrics.request(route, status, seconds),
  });
  const port = await server.listen(config.HTTP_PORT, config.HTTP_HOST);
  return {
    port,
    server,
    stop(drainMs) {
      stopping = true;
      return server.stop(drainMs);
    },
  };
}

/** A handler that does not exist would fail every event of its type; better to refuse to start. */
async function assertHandlersExist(config: CentralConfig, db: Database): Promise<void> {
  const sql = INBOX_DIALECTS[db.dialect];
  for (const [type, routine] of config.EVENT_HANDLERS) {
    if (!(await sql.routineExists(db, routine))) {
      const expected = db.dialect === 'postgres' ? `a function ${routine}(text, varchar)` : `a procedure dbo.${routine}`;
      throw new ConfigError('EVENT_HANDLERS', `EVENT_HANDLERS: expected ${expected} in the database for ${type}; found none`);
    }
  }
}
