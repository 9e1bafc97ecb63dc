/** The subset of a pino logger used here; a pino instance fits it as is. */
export interface ShutdownLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface ShutdownOptions {
  logger?: ShutdownLogger;
  /** Bound on the whole stop sequence; past it the process exits non-zero without waiting further. */
  timeoutMs: number;
  /** Defaults to process.exit; injectable so the sequence can be tested in-process. */
  exit?: (code: number) => void;
}

export interface Shutdown {
  /**
   * Registers a component right after it has started. Components stop in reverse order, so register the
   * logger first: it is then flushed last, after every other component has logged its stop. Nothing is
   * logged here after the last stop; a "stopped" line belongs in the logger's own stop, before its flush.
   */
  register(name: string, stop: () => Promise<void> | void): void;
  /** Stops every component, then exits. Safe to call many times: later calls return the first promise. */
  shutdown(reason: string, exitCode?: number): Promise<void>;
  /** Installs SIGTERM and SIGINT handlers once; a second signal during shutdown forces exit code 130. */
  installSignalHandlers(): void;
  readonly stopping: boolean;
}

interface RegisteredComponent {
  name: string;
  stop: () => Promise<void> | void;
}

// 128 + SIGINT: the conventional code for "interrupted by the operator". A second signal means someone is
// waiting on a stop that takes too long, so in-flight work is abandoned; the outbox and checkpoints are in
// the database, so the next start resumes from there.
const FORCED_EXIT_CODE = 130;

/** JSON lines on stdout, like the daemons' pino output, for callers that have no logger yet. */
function writeLine(level: string, fields: Record<string, unknown>, message: string): void {
  // Error objects stringify as {} by default; keep what an operator needs from them.
  const keepErrors = (_key: string, value: unknown): unknown =>
    value instanceof Error ? { type: value.name, message: value.message, stack: value.stack } : value;
  process.stdout.write(`${JSON.stringify({ level, time: Date.now(), msg: message, ...fields }, keepErrors)}\n`);
}

const fallbackLogger: ShutdownLogger = {
  info: (fields, message) => writeLine('info', fields, message),
  warn: (fields, message) => writeLine('warn', fields, message),
  error: (fields, message) => writeLine('error', fields, message),
};

export function createShutdown(options: ShutdownOptions): Shutdown {
  const logger = options.logger ?? fallbackLogger;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const components: RegisteredComponent[] = [];
  let running: Promise<void> | undefined;
  let signalHandlersInstalled = false;

  /** Resolves with the exit code: 0 when every stop succeeded, 1 when one failed or the bound was hit. */
  async function stopAll(reason: string, requestedCode: number): Promise<number> {
    logger.info({ reason, components: components.length }, 'shutdown started');
    let current: string | undefined;
    const failed: string[] = [];
    const sequence = (async () => {
      for (const component of [...components].reverse()) {
        current = component.name;
        // Logged before the stop, never after: the last stop is usually the logger's own flush.
        logger.info({ component: component.name }, 'stopping component');
        try {
          await component.stop();
        } catch (error) {
          failed.push(component.name);
          logger.error({ component: component.name, err: error }, 'component failed to stop');
        }
      }
      current = undefined;
      return 'done' as const;
    })();
    // Once the deadline wins, nobody awaits the abandoned sequence; a late rejection must not crash the exit.
    sequence.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    // Not unref'd: if a stop waits on something that holds no handle, an unref'd timer would let the event
    // loop drain and the process end with code 0 and no word about the component that hung.
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
    });
    const outcome = await Promise.race([sequence, deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      logger.error({ component: current, timeoutMs: options.timeoutMs, reason }, 'shutdown timed out; exiting');
      return requestedCode === 0 ? 1 : requestedCode;
    }
    return failed.length > 0 && requestedCode === 0 ? 1 : requestedCode;
  }

  const shutdown = (reason: string, exitCode = 0): Promise<void> => {
    // A throwing logger must not leave the process running after it was asked to stop.
    running ??= stopAll(reason, exitCode).then(
      (code) => exit(code),
      () => exit(exitCode === 0 ? 1 : exitCode),
    );
    return running;
  };

  return {
    register(name, stop) {
      if (running !== undefined) {
        // Something finished starting after shutdown began; stop it now rather than leak it.
        logger.warn({ component: name }, 'component registered during shutdown; stopping it now');
        Promise.resolve()
          .then(stop)
          .catch((error: unknown) => logger.error({ component: name, err: error }, 'component failed to stop'));
        return;
      }
      components.push({ name, stop });
    },
    shutdown,
    installSignalHandlers() {
      if (signalHandlersInstalled) return;
      signalHandlersInstalled = true;
      const onSignal = (signal: NodeJS.Signals): void => {
        if (running !== undefined) {
          logger.warn({ signal }, 'second signal during shutdown; forcing exit');
          exit(FORCED_EXIT_CODE);
          return;
        }
        void shutdown(`received ${signal}`, 0);
      };
      // process.on rather than once: the second signal must reach this handler, not Node's default kill.
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    },
    get stopping() {
      return running !== undefined;
    },
  };
}
