import { TransientError } from '@goldpdv/core';

/** The signal one send runs under, and what fired it. */
export interface SendSignal {
  signal: AbortSignal;
  /** True when the send budget ran out first (the lease was about to end), not the worker's stop. */
  leaseRanOut(): boolean;
  /** Unhooks from the stop signal and clears the timers; call it when the send is over. */
  dispose(): void;
}

/**
 * Fires when the claim's send budget is spent, or `graceMs` after the worker is told to stop (so that a batch in
 * flight at SIGTERM can still finish), whichever comes first. The stop signal lives as long as the process:
 * dispose() takes this send's listener off it again, or one would pile up there per batch.
 */
export function sendSignal(stop: AbortSignal, graceMs: number, budgetMs: number): SendSignal {
  const controller = new AbortController();
  let ranOut = false;
  let graceTimer: NodeJS.Timeout | undefined;
  const budgetTimer = setTimeout(() => {
    if (controller.signal.aborted) return;
    ranOut = true;
    controller.abort(new TransientError(`the send outlasted its lease budget of ${Math.round(budgetMs)} ms`));
  }, Math.max(0, budgetMs));
  budgetTimer.unref();
  const onStop = () => {
    graceTimer = setTimeout(() => controller.abort(stop.reason), graceMs);
    graceTimer.unref();
  };
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  return {
    signal: controller.signal,
    leaseRanOut: () => ranOut,
    dispose() {
      clearTimeout(budgetTimer);
      clearTimeout(graceTimer);
      stop.removeEventListener('abort', onStop);
    },
  };
}
