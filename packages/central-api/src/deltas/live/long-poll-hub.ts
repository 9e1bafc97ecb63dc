import type { Epoch, ServingClock } from './serving-clock.js';

/** One table a long poll waits on, and the version up to which its window is known empty for the caller. */
export interface Watch {
  trackingName: string;
  level: bigint;
}

export interface WaitOutcome {
  /**
   * changed: at least one watched table has changes from its level on (or may have: another incarnation, a table
   * the clock no longer knows); read again from the levels. The others end the wait with nothing new.
   */
  kind: 'changed' | 'timeout' | 'aborted' | 'stopping';
  /** The watches with their levels moved up by the epochs that passed while waiting (a subscription's: its own, live). */
  watches: Watch[];
  /** The trackingNames of the watches that changed (kind 'changed' only). */
  changed: string[];
}

interface Waiter {
  watches: Watch[];
  /** The incarnation of the epoch it was last judged at: its levels are versions of that database. */
  incarnation: string | null;
  /** Judged changed and waiting for its batch (releaseSoon): not judged again meanwhile. */
  queued: boolean;
  /**
   * Waiting for a change now. A subscription between two of its waits is not judged: it is judged against the
   * epoch of the moment when it waits again, which covers every epoch that passed meanwhile.
   */
  armed: boolean;
  settle(kind: WaitOutcome['kind'], changed?: string[]): void;
}

/**
 * A change stream's standing wait: registered and indexed once for all its waits, with one timer and one abort
 * listener for its whole time, where one wait per line would set all of them up again for each line.
 */
export interface Subscription {
  /**
   * Its watches, live: the hub moves their levels up as it judges them, and the caller raises them after a read
   * (a window it read to its end is known to it up to there).
   */
  readonly watches: readonly Watch[];
  /**
   * Resolves as waitForAny does, judged at once against the current epoch: 'changed' when a watched table has a
   * change at or above its level, else how the subscription ended (its time, the signal, the server stopping).
   * Once ended, every call resolves at once with that ending. One wait at a time.
   */
  next(): Promise<WaitOutcome>;
  /** Unregisters it. Safe to call twice. */
  close(): void;
}

/**
 * Long polls waiting for their tables to change; one request may wait on every table of a PDV. Nothing is read
 * per waiter: on each new epoch of the serving clock, only the waiters of the tables whose quiet span moved are
 * judged (waiters are indexed by table, so an epoch that moved one table costs nothing for the waiters of the
 * others). A watch whose table has not changed since its level moves its level up to the epoch's upper version
 * (the window between holds nothing of that table): at once for a judged waiter, when it ends for the others,
 * which comes to the same since their tables' quiet spans did not move. A waiter with a watch whose table
 * changed is released to read again from its levels. Since every watch of a table moves to
 * the same level, the released requests read the same window, which SharedPages reads once. A change of a table
 * wakes only the requests that wait on it; one that turns out to be another loja's puts them back to wait at the
 * new level, without an answer, hence without a reconnect.
 */
export class LongPollHub {
  private readonly waiters = new Set<Waiter>();
  /** The waiters of each table (trackingName). */
  private readonly byTable = new Map<string, Set<Waiter>>();
  /** Waiters an epoch released, settled RELEASE_BATCH per turn of the event loop (releaseSoon). */
  private readonly releasing: { waiter: Waiter; changed: string[] }[] = [];
  private releaseScheduled = false;

  constructor(
    private readonly clock: ServingClock,
    private readonly isStopping: () => boolean,
  ) {
    clock.keepTickingWhile(() => this.waiters.size > 0);
    clock.onEpoch((epoch, previous) => this.onEpoch(epoch, previous));
    clock.onStopping(() => this.releaseAll('stopping'));
  }

  /**
   * Requests waiting for a change now (one per request, however many tables each waits on); a change stream
   * between two of its lines, still registered but not waiting, is not counted. Counted on demand (metrics, tests).
   */
  get waiting(): number {
    let count = 0;
    for (const waiter of this.waiters) if (waiter.armed) count += 1;
    return count;
  }

  /** Resolves when one of the watched tables has a change at or above its level, after `timeoutMs`, on abort, or when the server stops. */
  async waitForAny(watches: readonly Watch[], timeoutMs: number, signal?: AbortSignal): Promise<WaitOutcome> {
    // A subscription that waits once.
    const subscription = this.subscribe(watches, timeoutMs, signal);
    try {
      return await subscription.next();
    } finally {
      subscription.close();
    }
  }

  /**
   * A standing wait for a change stream, over `timeoutMs` from now: see Subscription. It waits only while its
   * `next()` is pending, but stays registered between its waits, so that each costs no registration.
   *
   * `stillQuiet`, asked when a change is about to end its wait: true when the change is already known to hold
   * nothing for it (another loja's price, with that round worked out for another stream of its loja), its levels
   * then raised past it by the caller. It then waits on, with no answer: the stream would only have worked the
   * round out again and come back to wait, thousands of them per change that concerns a few.
   */
  subscribe(watches: readonly Watch[], timeoutMs: number, signal?: AbortSignal, stillQuiet?: () => boolean): Subscription {
    const own = watches.map((watch) => ({ ...watch }));
    let ended: WaitOutcome['kind'] | null = signal?.aborted ? 'aborted' : this.isStopping() ? 'stopping' : null;
    let pending: ((outcome: WaitOutcome) => void) | null = null;
    const answer = (kind: WaitOutcome['kind'], changed: string[]): void => {
      const resolve = pending;
      pending = null;
      waiter.armed = false;
      this.catchUp(waiter);
      resolve?.({ kind, watches: own, changed });
    };
    const end = (kind: WaitOutcome['kind']): void => {
      if (ended !== null) return;
      ended = kind;
      this.waiters.delete(waiter);
      this.unindex(waiter);
      clearTimeout(timeout);
      signal?.removeEventListener('abort', onAbort);
      // Its time ran out while an epoch's change for it waited for its release batch: answered as the change it
      // is, so that the caller reads it now instead of telling the PDV that nothing changed.
      if (pending !== null) answer(kind === 'timeout' && waiter.queued ? 'changed' : kind, []);
    };
    const onAbort = (): void => end('aborted');
    // Called in the middle of a release batch: a check that fails takes the long way (the stream's own round
    // then tells what fails), rather than leaving the rest of the batch unreleased.
    const knownQuiet = (): boolean => {
      try {
        return stillQuiet?.() === true;
      } catch {
        return false;
      }
    };
    const waiter: Waiter = {
      watches: own,
      incarnation: this.clock.epoch?.incarnation ?? null,
      queued: false,
      armed: false,
      settle: (kind, changed = []) => {
        if (kind !== 'changed') return end(kind);
        waiter.queued = false;
        if (pending !== null && !knownQuiet()) answer(kind, changed);
      },
    };
    const timeout = ended === null ? setTimeout(() => end('timeout'), Math.max(0, timeoutMs)) : undefined;
    if (ended === null) {
      this.waiters.add(waiter);
      this.index(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    }
    return {
      watches: own,
      next: () => {
        if (ended !== null) return Promise.resolve({ kind: ended, watches: own, changed: [] });
        if (pending !== null) return Promise.reject(new Error('a subscription waits once at a time'));
        return new Promise<WaitOutcome>((resolve) => {
          pending = resolve;
          waiter.armed = true;
          // Judged now by the epoch of this moment, which covers those that passed since its last wait; levels
          // of another database than the one it was last judged at are released as changed, to be read again.
          const epoch = this.clock.epoch;
          if (epoch !== null) {
            const otherIncarnation = waiter.incarnation !== null && waiter.incarnation !== epoch.incarnation;
            this.judge(waiter, epoch, { otherIncarnation, unknownChanges: false, batched: false });
          }
          this.clock.nudge();
        });
      },
      close: () => end('aborted'),
    };
  }

  /** Releases every waiter; a later wait still works (the server may be restarted in tests). */
  releaseAll(kind: WaitOutcome['kind'] = 'stopping'): void {
    this.releasing.length = 0;
    for (const waiter of [...this.waiters]) waiter.settle(kind);
  }

  private onEpoch(epoch: Epoch, previous: Epoch | null): void {
    if (this.isStopping()) {
      this.releaseAll('stopping');
      return;
    }
    const judging = { otherIncarnation: false, unknownChanges: true, batched: true };
    if (previous === null || previous.incarnation !== epoch.incarnation) {
      // Released at once, not in batches: a waiter must not end meanwhile with levels of the other database.
      for (const waiter of [...this.waiters]) this.judge(waiter, epoch, { ...judging, otherIncarnation: previous !== null, batched: false });
      return;
    }
    // A table the clock does not know counts as changed on every epoch (see judge).
    const moved = [...this.byTable.keys()].filter((table) => {
      const quietFrom = epoch.quietFrom.get(table);
      return quietFrom === undefined || previous.quietFrom.get(table) !== quietFrom;
    });
    const judged = new Set<Waiter>();
    for (const table of moved) {
      for (const waiter of [...(this.byTable.get(table) ?? [])]) {
        if (judged.has(waiter)) continue;
        judged.add(waiter);
        this.judge(waiter, epoch, judging);
      }
    }
  }

  private index(waiter: Waiter): void {
    for (const { trackingName } of waiter.watches) {
      let waiters = this.byTable.get(trackingName);
      if (waiters === undefined) this.byTable.set(trackingName, (waiters = new Set()));
      waiters.add(waiter);
    }
  }

  private unindex(waiter: Waiter): void {
    for (const { trackingName } of waiter.watches) {
      const waiters = this.byTable.get(trackingName);
      waiters?.delete(waiter);
      if (waiters?.size === 0) this.byTable.delete(trackingName);
    }
  }

  /**
   * A table the clock does not know (no longer tracked) counts as changed on each new epoch, whose read then
   * reports it; when a wait begins it does not, or the request would read and wait in a loop.
   */
  private judge(waiter: Waiter, epoch: Epoch, options: { otherIncarnation: boolean; unknownChanges: boolean; batched: boolean }): void {
    if (!waiter.armed || (waiter.queued && !options.otherIncarnation)) return;
    waiter.incarnation = epoch.incarnation;
    const changed: string[] = [];
    for (const watch of waiter.watches) {
      const quietFrom = epoch.quietFrom.get(watch.trackingName);
      if (quietFrom === undefined) {
        if (options.unknownChanges) changed.push(watch.trackingName);
        continue;
      }
      // Nothing of this table from the watch's level up to the epoch's upper version: it waits on from there.
      if (!options.otherIncarnation && watch.level >= quietFrom) {
        if (epoch.upper > watch.level) watch.level = epoch.upper;
        continue;
      }
      changed.push(watch.trackingName);
    }
    if (changed.length === 0) return;
    if (options.batched) this.releaseSoon(waiter, changed);
    else waiter.settle('changed', changed);
  }

  /**
   * The levels of watches not judged since they began (their tables did not move) catch up when a wait ends,
   * within the same database only (another incarnation releases every waiter as changed, at once).
   */
  private catchUp(waiter: Waiter): void {
    const epoch = this.clock.epoch;
    if (epoch !== null && epoch.incarnation === waiter.incarnation) for (const watch of waiter.watches) raiseIfQuiet(watch, epoch);
  }

  /**
   * A change can release thousands of waiters at once. Settled all in one go, each request's next steps would
   * run for all of them in turn, and every answer would go out only at the end; settled a batch per turn of the
   * event loop, each batch's answers are written before the next batch starts, so the first PDVs read theirs
   * (on their own CPU) while the server still prepares the others'. A waiter settled meanwhile (timeout, abort)
   * makes its queued release a no-op.
   */
  private releaseSoon(waiter: Waiter, changed: string[]): void {
    waiter.queued = true;
    this.releasing.push({ waiter, changed });
    if (this.releaseScheduled) return;
    this.releaseScheduled = true;
    setImmediate(() => this.releaseBatch());
  }

  private releaseBatch(): void {
    this.releaseScheduled = false;
    for (const { waiter, changed } of this.releasing.splice(0, RELEASE_BATCH)) waiter.settle('changed', changed);
    if (this.releasing.length > 0 && !this.releaseScheduled) {
      this.releaseScheduled = true;
      setImmediate(() => this.releaseBatch());
    }
  }
}

/** Waiters settled per turn of the event loop after an epoch (about 5-10 ms of work each at fleet scale). */
const RELEASE_BATCH = 64;

/** Moves a watch up to the epoch's upper version when its table is quiet from its level on. */
function raiseIfQuiet(watch: Watch, epoch: Epoch): void {
  const quietFrom = epoch.quietFrom.get(watch.trackingName);
  if (quietFrom !== undefined && watch.level >= quietFrom && epoch.upper > watch.level) watch.level = epoch.upper;
}
