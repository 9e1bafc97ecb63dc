import type { LogSettings, SyncLogger } from '@goldpdv/core';

/** The pino logger of this process, as core's createLogger returns it. */
export type CentralLogger = SyncLogger['logger'];

interface LogEnv {
  LOG_LEVEL: LogSettings['level'];
  LOG_DIR?: string | undefined;
  LOG_FILE_MAX_SIZE: string;
  LOG_FILE_FREQUENCY: string;
  LOG_FILE_COUNT: number;
  LOG_PRETTY: boolean;
}

/** LOG_* variables to core's log settings (core's own helper wants a daemon's whole environment). */
export function logSettingsFromConfig(env: LogEnv): LogSettings {
  const frequency = env.LOG_FILE_FREQUENCY;
  return {
    level: env.LOG_LEVEL,
    dir: env.LOG_DIR ?? null,
    fileMaxSize: env.LOG_FILE_MAX_SIZE,
    fileFrequency: frequency === 'daily' || frequency === 'hourly' ? frequency : Number(frequency),
    fileCount: env.LOG_FILE_COUNT,
    pretty: env.LOG_PRETTY,
  };
}
