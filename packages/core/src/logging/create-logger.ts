import { hostname } from 'node:os';
import pino from 'pino';
import { startFileTransport, type FileTransport } from './file-transport.js';
import { fanOutLines, type LineSink } from './line-fan-out.js';
import { REDACTED, REDACTED_PATHS } from './redaction.js';
import { createSecretScrubber } from './secret-scrubber.js';
import { serializeError } from './serialize-error.js';
import { assertFileSettings, type LogSettings } from './settings.js';
import { createStdoutSink } from './stdout-sink.js';

export interface CreateLoggerOptions {
  /** Literal values that must never appear in a line: the DB password, the API token, full connection URLs. */
  secrets?: string[];
  /** Context on every line besides `service`, such as `{ pdvId }`. */
  base?: Record<string, unknown>;
  /** Replaces stdout (tests, embedding). Owned by the caller: close() does not end it. */
  destination?: NodeJS.WritableStream;
}

export interface SyncLogger {
  logger: pino.Logger;
  /** Resolves when every earlier line is on stdout and has been handed to the file writers (at most 3 s). */
  flush(): Promise<void>;
  /** Flushes, then ends the file writers once the lines are on disk. Safe to call twice; done within 3 s. */
  close(): Promise<void>;
}

// Shutdown has its own deadline; the logs get a slice of it, not all of it.
const CLOSE_TIMEOUT_MS = 3_000;
const FLUSH_TIMEOUT_MS = 3_000;

/** Waits for `work` at most `ms`; the timer holds the process open meanwhile, so the wait is real. */
async function withinMs(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([work, deadline]);
  clearTimeout(timer);
}

/**
 * The logger of one daemon: JSON lines on stdout for `docker logs` and, when `settings.dir` is set,
 * rotating `<service>.json.N.log` and `<service>.N.log` files (see rotated-files.ts for the names).
 *
 * Context travels with child loggers, so every line of a unit of work says what it was about:
 *
 *   const log = createLogger('pull-service', settings, { base: { pdvId } }).logger;
 *   const tableLog = log.child({ table: 'produtos', cycle });
 *   tableLog.info({ rows }, 'delta page applied');
 *   tableLog.child({ eventId }).error({ err }, 'event rejected by central');
 */
export function createLogger(service: string, settings: LogSettings, options: CreateLoggerOptions = {}): SyncLogger {
  const { dir } = settings;
  if (dir !== null) assertFileSettings(settings);

  const files: FileTransport | null = dir === null ? null : startFileTransport(service, { ...settings, dir });
  const sinks: LineSink[] = [createStdoutSink(settings.pretty, options.destination)];
  if (files) sinks.push(files.sink);
  const destination = fanOutLines(sinks);

  const logger = pino(
    {
      level: settings.level,
      base: { pid: process.pid, hostname: hostname(), ...options.base, service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError, error: serializeError },
      redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
      // Runs on the finished line before any destination sees it: stdout and both files alike.
      hooks: { streamWrite: createSecretScrubber(options.secrets) },
    },
    destination,
  );

  const flushUnbounded = (): Promise<void> =>
    new Promise((resolve) => {
      // A failed flush of the files must not fail the caller's shutdown; the transport reports it.
      logger.flush(() => resolve());
    });
  // Bounded like close(). The handshake with the file worker waits on Atomics.waitAsync, which Node
  // does not always resolve while its event loop sits idle (nodejs/node#44729, #61941): flushes were
  // seen to stall until some timer fired. The pending deadline timer avoids that and caps the wait.
  const flush = (): Promise<void> => withinMs(flushUnbounded(), FLUSH_TIMEOUT_MS);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const deadline = Date.now() + CLOSE_TIMEOUT_MS;
      await withinMs(flushUnbounded(), CLOSE_TIMEOUT_MS);
      await files?.close(Math.max(deadline - Date.now(), 0));
    })();
    return closing;
  };

  return { logger, flush, close };
}
