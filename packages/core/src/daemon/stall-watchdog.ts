import type { HealthState } from '../health/index.js';

/**
 * Ends the process when the work loop has made no progress for `exitAfterMs`. A stuck loop (a query hanging on a
 * dead connection, an await that never settles) only turns the container unhealthy, and Docker never restarts
 * an unhealthy container: exiting hands the problem to the restart policy, which starts a fresh process with
 * fresh connections. Progress is the loop's heartbeat, which a long schema migration keeps beating, so a
 * migration is not a stall.
 */
export interface StallWatchdogOptions {
  health: HealthState;
  exitAfterMs: number;
  /** Logs and flushes, then ends the process; called once. */
  onStall(silenceMs: number): void;
}

export function startStallWatchdog(options: StallWatchdogOptions): { stop(): void } {
  let fired = false;
  const timer = setInterval(() => {
    const silenceMs = options.health.liveness().loop.silenceMs;
    if (fired || silenceMs <= options.exitAfterMs) return;
    fired = true;
    clearInterval(timer);
    options.onStall(silenceMs);
  }, Math.min(5_000, Math.max(100, Math.floor(options.exitAfterMs / 4))));
  // It watches the loop; it must never be what keeps a stopping process alive.
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** The exit code of a process that ended itself because its loop stalled (EX_SOFTWARE). */
export const STALLED_EXIT_CODE = 70;
