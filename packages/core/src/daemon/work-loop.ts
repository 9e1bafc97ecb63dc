import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { fullJitterDelayMs, jitteredIntervalMs } from '../retry/backoff.js';
import { classifyError } from '../retry/classify-error.js';
import type { HealthState } from '../health/index.js';

export interface CycleOutcome {
  /** More work is waiting: start the next cycle at once instead of sleeping. */
  busy?: boolean;
}

export interface WorkLoopOptions {
  name: string;
  runCycle: (signal: AbortSignal) => Promise<CycleOutcome | void>;
  /** Checked after a failed cycle to tell "the database is gone" from "the cycle failed". */
  checkDatabase: () => Promise<void>;
  health: HealthState;
  logger: Logger;
  pollIntervalMs: number;
  startJitterMs: number;
  /** Cap of the wait after consecutive failures. */
  maxFailureBackoffMs?: number;
  /** Observes each cycle's duration in seconds (a Prometheus histogram), failed cycles included. */
  cycleDuration?: { observe(seconds: number): void };
}

export interface WorkLoop {
  /** Stops taking new cycles and waits for the current one to end. Safe to call twice. */
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

/**
 * The loop both daemons run: cycle, report health, sleep. A failed cycle never ends the loop: long outages are
 * waited out here (with jittered backoff) rather than by restarting the container, which would not help.
 */
export function startWorkLoop(options: WorkLoopOptions): WorkLoop {
  const controller = new AbortController();
  const { health } = options;
  const cap = options.maxFailureBackoffMs ?? 30_000;

  const done = (async () => {
    await pause(Math.floor(Math.random() * options.startJitterMs), controller.signal);
    let failures = 0;
    while (!controller.signal.aborted) {
      let busy = false;
      const started = performance.now();
      try {
        busy = Boolean((await options.runCycle(controller.signal))?.busy);
        options.cycleDuration?.observe((performance.now() - started) / 1_000);
        failures = 0;
        health.markReady('database');
        health.markReady('loop');
      } catch (error) {
        if (controller.signal.aborted) break;
        options.cycleDuration?.observe((performance.now() - started) / 1_000);
        failures += 1;
        await reportFailure(options, error, failures);
      }
      health.beat();
      const delay = failures > 0 ? fullJitterDelayMs(failures, { baseMs: 500, capMs: cap }) : busy ? 0 : jitteredIntervalMs(options.pollIntervalMs, 0.2);
      await pause(delay, controller.signal);
    }
  })();

  let stopping: Promise<void> | undefined;
  return {
    done,
    stop() {
      stopping ??= (async () => {
        controller.abort();
        await done;
      })();
      return stopping;
    },
  };
}

async function reportFailure(options: WorkLoopOptions, error: unknown, failures: number): Promise<void> {
  const { health, logger } = options;
  const classification = classifyError(error);
  const message = error instanceof Error ? error.message : String(error);
  try {
    await options.checkDatabase();
    health.markReady('database');
    health.markNotReady('loop', message);
    logger.error({ err: error, failures, reason: classification.reason }, `${options.name} cycle failed`);
  } catch (databaseError) {
    const detail = databaseError instanceof Error ? databaseError.message : String(databaseError);
    health.markNotReady('database', detail);
    logger.warn({ err: databaseError, failures, reason: classifyError(databaseError).reason }, 'database unreachable; will retry');
  }
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return;
  await sleep(ms, undefined, { signal }).catch(() => {});
}
