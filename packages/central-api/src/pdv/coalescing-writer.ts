/**
 * Keeps the latest value per key in memory and writes the ones noted since the last write every `intervalMs`,
 * in one call: what the PDVs tell central on every request (when they were last seen, their status reports) is
 * stored without a database write per request. A crash loses at most one interval, which the PDVs tell again.
 */
export interface CoalescingWriter<V> {
  /** Keeps `value` under its key unless a newer one is already kept (in memory only). */
  note(value: V): void;
  /** Writes what was noted since the last write; nothing when nothing was. One write at a time. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left, waiting at most `stopTimeoutMs`. Safe to call twice. */
  stop(): Promise<void>;
}

export interface CoalescingWriterOptions<V> {
  intervalMs: number;
  /** Bound on the last write at stop (a database gone at shutdown must not hold the process). */
  stopTimeoutMs?: number;
  keyOf(value: V): string;
  /** Whether `candidate` replaces `kept` under the same key. */
  replaces(candidate: V, kept: V): boolean;
  write(batch: V[]): Promise<void>;
  /** A failed write: its values are kept for the next one (unless newer ones came meanwhile). */
  onWriteError(error: unknown, count: number): void;
  /** The write at stop did not finish in time; `count` values are not written. */
  onStopTimeout(count: number): void;
}

export function startCoalescingWriter<V>(options: CoalescingWriterOptions<V>): CoalescingWriter<V> {
  let pending = new Map<string, V>();
  let writing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | undefined;
  let stopped: Promise<void> | null = null;

  const keep = (into: Map<string, V>, value: V): void => {
    const key = options.keyOf(value);
    const kept = into.get(key);
    if (kept === undefined || options.replaces(value, kept)) into.set(key, value);
  };

  const write = async (): Promise<void> => {
    if (pending.size === 0) return;
    const batch = [...pending.values()];
    pending = new Map();
    try {
      await options.write(batch);
    } catch (error) {
      for (const value of batch) keep(pending, value);
      options.onWriteError(error, batch.length);
    }
  };

  const flush = (): Promise<void> => {
    // One write at a time: a slow database never piles statements up.
    writing ??= write().finally(() => {
      writing = null;
    });
    return writing;
  };

  const schedule = (): void => {
    timer = setTimeout(() => {
      void flush().finally(() => {
        if (stopped === null) schedule();
      });
    }, options.intervalMs);
    timer.unref();
  };
  schedule();

  return {
    note: (value) => keep(pending, value),
    flush,
    stop() {
      stopped ??= (async () => {
        clearTimeout(timer);
        let bound: NodeJS.Timeout | undefined;
        const timeout = new Promise<'timeout'>((resolve) => {
          bound = setTimeout(() => resolve('timeout'), options.stopTimeoutMs ?? 5_000);
        });
        const done = (async () => {
          await writing;
          await flush();
          return 'written' as const;
        })();
        const outcome = await Promise.race([done, timeout]);
        clearTimeout(bound);
        if (outcome === 'timeout') options.onStopTimeout(pending.size);
      })();
      return stopped;
    },
  };
}
