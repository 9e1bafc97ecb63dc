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
  /**
   * The process ends (exit 70) when the loop has made no progress for this long, so that the restart policy
   * starts a fresh one: Docker does not restart an unhealthy container. 0 turns it off.
   */
  LOOP_STALL_EXIT_MS: envInt(0, 86_400_000).default(600_000),
};

/** How long the central API may fail before it is a distinct state, in both daemons (CentralAvailability). */
export const centralAlertEnv = {
  /** The central API unavailable for longer than this is the distinct state "unreachable-long" (an alert). */
  CENTRAL_UNREACHABLE_ALERT_MS: envInt(1_000, 604_800_000).default(900_000),
  /** 401/403 from the central API for longer than this is the distinct state "auth-refused" (an alert). */
  CENTRAL_AUTH_ALERT_MS: envInt(0, 86_400_000).default(60_000),
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
