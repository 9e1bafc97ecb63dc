import type { CentralLogger } from '../logger.js';

export type WaitOutcome = 'changed' | 'timeout' | 'aborted' | 'stopping';

export interface ChangeNotifierOptions {
  /** One query for every table asked about; see DeltaDialect.readChangeHeads. */
  readHeads(tables: readonly string[]): Promise<Map<string, string>>;
  intervalMs: number;
  logger: CentralLogger;
  /** Checked on every poll: once true, every waiter is released so the server can drain. */
  isStopping(): boolean;
}

interface Waiter {
  table: string;
  seen: string | undefined;
  settle(outcome: WaitOutcome): void;
}

const ERROR_LOG_EVERY_MS = 30_000;

/**
 * Wakes long-polling requests when their table may have new changes. While at least one request waits, one
 * query per interval reads every waited-on table's head (see readChangeHeads); with nobody waiting it runs no
 * query at all. It holds nothing another replica needs: a waiter only learns when to read again.
 *
 * A request takes `headOf(table)` before it reads its window and waits with that value: a change that commits
 * after the head was taken either is in the read, or moves the head and wakes the waiter on the next poll.
 */
export class ChangeNotifier {
  private readonly heads = new Map<string, string>();
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private lastErrorLogAt = 0;

  constructor(private readonly options: ChangeNotifierOptions) {}

  headOf(table: string): string | undefined {
    return this.heads.get(table);
  }

  get waiting(): number {
    return this.waiters.size;
  }

  /** Resolves when `table`'s head differs from `seen`, after `timeoutMs`, on abort, or when the server stops. */
  waitForChange(table: string, seen: string | undefined, timeoutMs: number, signal?: AbortSignal): Promise<WaitOutcome> {
    if (signal?.aborted) return Promise.resolve('aborted');
    if (this.options.isStopping()) return Promise.resolve('stopping');
    return new Promise<WaitOutcome>((resolve) => {
      const onAbort = (): void => waiter.settle('aborted');
      const timeout = setTimeout(() => waiter.settle('timeout'), Math.max(0, timeoutMs));
      const waiter: Waiter = {
        table,
        seen,
        settle: (outcome) => {
          if (!this.waiters.delete(waiter)) return;
          clearTimeout(timeout);
          if (this.waiters.size === 0) this.cancelPoll();
          signal?.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.schedule();
    });
  }

  /** Releases every waiter; a later wait still works (the server may be restarted in tests). */
  releaseAll(outcome: WaitOutcome = 'stopping'): void {
    for (const waiter of [...this.waiters]) waiter.settle(outcome);
    this.cancelPoll();
  }

  private cancelPoll(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.polling || this.waiters.size === 0) return;
    this.timer = setTimeout(() => void this.poll(), this.options.intervalMs);
    // Waiters have their own timeouts; the poll alone must not keep a process alive.
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    this.timer = undefined;
    if (this.options.isStopping()) {
      this.releaseAll('stopping');
      return;
    }
    if (this.waiters.size === 0) return;
    this.polling = true;
    try {
      const tables = [...new Set([...this.waiters].map((waiter) => waiter.table))];
      const heads = await this.options.readHeads(tables);
      for (const [table, head] of heads) this.heads.set(table, head);
      for (const waiter of [...this.waiters]) {
        const head = heads.get(waiter.table);
        if (head !== undefined && head !== waiter.seen) waiter.settle('changed');
      }
    } catch (error) {
      // Waiters still end at their own timeout; the next poll tries again.
      if (Date.now() - this.lastErrorLogAt > ERROR_LOG_EVERY_MS) {
        this.lastErrorLogAt = Date.now();
        this.options.logger.warn({ err: error }, 'change poll failed');
      }
    } finally {
      this.polling = false;
    }
    if (this.options.isStopping()) this.releaseAll('stopping');
    else this.schedule();
  }
}
