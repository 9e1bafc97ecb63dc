import { z } from 'zod';
import { databaseEnv, healthEnv, logEnv, processEnv } from '../config/common-env.js';
import { envInt } from '../config/env-types.js';
import type { LogSettings } from '../logging/index.js';

/** Variables every daemon reads, whatever its job. */
export const daemonEnv = {
  ...databaseEnv,
  ...logEnv,
  ...healthEnv,
  ...processEnv,
  /** Time between two cycles when there is nothing to do; jittered by ±20% so PDVs drift apart. */
  POLL_INTERVAL_MS: envInt(50, 3_600_000).default(5_000),
  /** A random wait of up to this long before the first cycle, so a fleet restarting together does not stampede. */
  START_JITTER_MS: envInt(0, 600_000).default(5_000),
  /** Liveness fails when the loop has not completed a cycle for this long (a hung connection, a stuck await). */
  LOOP_STALL_TIMEOUT_MS: envInt(1_000, 3_600_000).default(300_000),
};

export type DaemonEnv = z.infer<z.ZodObject<typeof daemonEnv>>;

/** The LOG_* variables alone, so that any process (daemon or API) can turn them into log settings. */
export type LogEnv = z.infer<z.ZodObject<typeof logEnv>>;

export function logSettingsFromEnv(env: LogEnv): LogSettings {
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

/** Literal secret values to scrub from every log line, whatever field or message they end up in. */
export function secretValuesFromEnv(env: Record<string, unknown>, names: ReadonlySet<string>): string[] {
  return [...names].map((name) => env[name]).filter((value): value is string => typeof value === 'string' && value.length > 0);
}
