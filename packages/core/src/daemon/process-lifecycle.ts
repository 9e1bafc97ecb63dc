import type { Logger } from 'pino';
import { createLogger, type LogSettings, type SyncLogger } from '../logging/index.js';
import { createShutdown, type Shutdown } from '../shutdown/index.js';

export interface ProcessLifecycle {
  syncLogger: SyncLogger;
  logger: Logger;
  shutdown: Shutdown;
}

/**
 * What every long-running process of the project sets up first, in this order: the logger, a shutdown that
 * closes the logger last (it is registered first, and components stop in reverse), the signal handlers, and
 * a last resort for errors nobody caught, which are logged and end the process through the same shutdown.
 */
export function startProcessLifecycle(
  service: string,
  options: { logSettings: LogSettings; secrets: string[]; base?: Record<string, unknown>; shutdownTimeoutMs: number },
): ProcessLifecycle {
  const syncLogger = createLogger(service, options.logSettings, { secrets: options.secrets, base: options.base ?? {} });
  const logger = syncLogger.logger;
  const shutdown = createShutdown({ logger, timeoutMs: options.shutdownTimeoutMs });
  shutdown.register('logger', async () => {
    logger.info('stopped');
    await syncLogger.close();
  });
  shutdown.installSignalHandlers();
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; shutting down');
    void shutdown.shutdown('uncaught exception', 1);
  });
  process.on('unhandledRejection', (error) => {
    logger.fatal({ err: error }, 'unhandled rejection; shutting down');
    void shutdown.shutdown('unhandled rejection', 1);
  });
  return { syncLogger, logger, shutdown };
}
