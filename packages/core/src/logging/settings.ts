import { ConfigError } from '../errors/index.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** How a daemon logs. The config module builds this from the environment; see `createLogger`. */
export interface LogSettings {
  level: LogLevel;
  /** Directory for the rotating files; null = stdout only (no files). */
  dir: string | null;
  /** Size at which a file is rotated, in pino-roll notation: '10m', '512k', '1g' (a bare number means MB). */
  fileMaxSize: string;
  /** Also rotate on time: 'daily', 'hourly' or a period in milliseconds. */
  fileFrequency: 'daily' | 'hourly' | number;
  /**
   * Rotated files to keep per stream, in addition to the file being written (pino-roll `limit.count`):
   * `fileCount: 2` leaves 3 files of each stream on disk while the process runs.
   */
  fileCount: number;
  /** Human-readable stdout instead of JSON lines; for developers, never in production. */
  pretty: boolean;
}

// The same grammar pino-roll's parseSize accepts; checked here because pino-roll would only
// fail inside the transport worker, after the daemon has already started without its files.
const SIZE_PATTERN = /^\d+(\.\d+)?[kmgb]?$/i;

/** Rejects file settings that pino-roll would refuse asynchronously in its worker thread. */
export function assertFileSettings(settings: LogSettings): void {
  if (!SIZE_PATTERN.test(settings.fileMaxSize)) {
    throw new ConfigError(
      'LogSettings.fileMaxSize',
      `log file size must be a number with an optional k, m or g unit (e.g. '10m'), got '${settings.fileMaxSize}'`,
    );
  }
  if (!Number.isInteger(settings.fileCount) || settings.fileCount < 1) {
    throw new ConfigError('LogSettings.fileCount', `log file count must be a whole number >= 1, got ${settings.fileCount}`);
  }
  const frequency = settings.fileFrequency;
  if (typeof frequency === 'number' && (!Number.isInteger(frequency) || frequency <= 0)) {
    throw new ConfigError('LogSettings.fileFrequency', `log rotation period must be a positive number of ms, got ${frequency}`);
  }
}
