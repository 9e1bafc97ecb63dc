import type { CentralLogger } from '../../logger.js';
import type { ClockReading } from '../db/clock-reading.js';

/**
 * The versions every read shares. An epoch is a clock reading that the clock keeps for as long as no served
 * table changes: its `upper` is the window's upper version of every first page read meanwhile, so that clients
 * served in one epoch hold the same checkpoint and their next windows, hence their pages, are the same. Its
 * upper version depends on the data only (clock-reading.ts), so replicas that have seen the same changes are in
 * the same epoch. It moves when a table's quietFrom or the upper version moves (a change became readable), and
 * when the incarnation changes.
 */
export interface Epoch extends ClockReading {
  /** When this epoch began (ms since the Unix epoch). */
  since: number;
}

export interface ServingClockOptions {
  /** One statement for every table (DeltaStore.readClock). */
  read(tables: readonly string[], previous: ClockReading | null): Promise<ClockReading>;
  /** The trackingNames of the served tables, as the registry lists them now. */
  tables(): Promise<readonly string[]>;
  intervalMs: number;
  /**
   * A notification raised when a served table changed (PostgreSQL's LISTEN connection); null where there is none
   * (SQL Server, PGlite), and the clock then ticks every interval while someone waits.
   */
  signal?: ChangeSignal | null;
  /** While the signal listens and nothing is pending: how often the clock reads anyway. */
  idleCheckMs?: number;
  /**
   * While the signal listens: the least time between a reading and the next that a notification calls for (at
   * most intervalMs, its default).
   */
  notifiedGapMs?: number;
  logger: CentralLogger;
  isStopping(): boolean;
}

/** A notification that a served table changed: NotificationListener on a PostgreSQL server. */
export interface ChangeSignal {
  /** Whether notifications are being listened for now. */
  readonly connected: boolean;
  /** Connects (again) when it is not listening; never throws. */
  listening(): Promise<boolean>;
  /** Called on each notification, and when the connection comes up or is lost (either may have hidden one). */
  onNotification(listener: () => void): () => void;
}

export type EpochListener = (epoch: Epoch, previous: Epoch | null) => void;

const ERROR_LOG_EVERY_MS = 30_000;
/** Quiet spans kept per table (windowStart): enough for the PDVs a few changes behind. */
const SPANS_PER_TABLE = 8;

/** Versions [from, to] of a table from which a window up to any later upper holds the same changes as from `from`. */
interface QuietSpan {
  from: bigint;
  to: bigint;
}
/** How long after the last read the clock goes on ticking without a waiter. */
const ACTIVE_AFTER_READ_MS = 5_000;

/**
 * Ticks once per interval while someone waits or has read lately, and not at all otherwise: one statement per
 * tick for every table, whatever the number of requests. With a change signal that listens, it rests between
 * notifications instead: a tick follows each notification (at most one per notifiedGapMs, so a burst of commits
 * costs one), ticks go on every interval while the last one saw a committed change that is not settled yet (an
 * older transaction still open), and otherwise one tick per idleCheckMs makes sure. The gap is shorter than the
 * interval: a notification says that there is something to serve, where the interval only bounds polling for
 * nothing (SQL Server, or a lost signal). A read that finds the clock idle or behind ticks it
 * first (`current()`), so a first read after a quiet spell does not serve a stale epoch. It holds nothing
 * another replica needs: replicas may be in different epochs, and page-reads.ts reads the bound itself when a
 * client brings a version above this replica's.
 */
export class ServingClock {
  private epochValue: Epoch | null = null;
  private last: ClockReading | null = null;
  private lastTickAt = 0;
  private lastReadAt = 0;
  private ticking: Promise<Epoch | null> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private lastErrorLogAt = 0;
  private readonly listeners = new Set<EpochListener>();
  private readonly spans = new Map<string, QuietSpan[]>();
  private readonly stoppingListeners = new Set<() => void>();
  private hasWaiters: () => boolean = () => false;
  private stopped = false;
  /** A notification came since the last reading began (or there was no reading yet): the epoch may be behind. */
  private dirty = true;
  /** The last reading saw a committed change above its settled bound: the next one will serve it. */
  private unsettled = false;
  /** The last reading failed: the next comes an interval later, however many notifications come. */
  private failing = false;
  ticks = 0;

  constructor(private readonly options: ServingClockOptions) {
    options.signal?.onNotification(() => this.notified());
  }

  get epoch(): Epoch | null {
    return this.epochValue;
  }

  /** The hub tells the clock whether anybody waits, which keeps it ticking. */
  keepTickingWhile(hasWaiters: () => boolean): void {
    this.hasWaiters = hasWaiters;
  }

  onEpoch(listener: EpochListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The epoch for a read now: the current one when the last tick is at most an interval old, else after a tick.
   * Null when the clock cannot read (the read then takes its own bound, as before).
   */
  async current(): Promise<Epoch | null> {
    return this.currentNow() ?? this.tick();
  }

  /** current() when it needs no tick: the epoch at once; undefined when a tick must come first (then use current()). */
  currentNow(): Epoch | undefined {
    this.lastReadAt = Date.now();
    if (this.epochValue === null || Date.now() - this.lastTickAt > this.pauseMs()) return undefined;
    this.schedule();
    return this.epochValue;
  }

  /**
   * The start of the window that holds what a window of `trackingName` from `since` holds: a reading that found
   * the table quiet from `from` up to its upper version `to` says there is no change between the two, so every
   * `since` from `from` to `to` sees the same changes up to any later upper version. PDVs whose checkpoints
   * differ only by the epochs at which they last read (a change to another table moved the upper version
   * meanwhile) thereby ask for one window, read once. `since` itself when no span holds it.
   */
  windowStart(trackingName: string, since: bigint): bigint {
    for (const span of this.spans.get(trackingName) ?? []) if (span.from <= since && since <= span.to) return span.from;
    return since;
  }

  /** Called on the first tick after the server began to stop, so that waiters are let go. */
  onStopping(listener: () => void): void {
    this.stoppingListeners.add(listener);
  }

  /** Wakes the timer after a wait began. */
  nudge(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private active(): boolean {
    return !this.stopped && (this.hasWaiters() || Date.now() - this.lastReadAt < ACTIVE_AFTER_READ_MS);
  }

  /**
   * How long an epoch stays current: an interval without a listening signal, after a failed reading, or while a
   * committed change waits behind an older open transaction (whose end may notify nothing); with the signal,
   * notifiedGapMs (never more than the interval) while a notification is pending, and idleCheckMs otherwise.
   */
  private pauseMs(): number {
    const { intervalMs, idleCheckMs, notifiedGapMs } = this.options;
    if (this.options.signal?.connected !== true || this.failing || this.unsettled) return intervalMs;
    if (this.dirty) return Math.min(notifiedGapMs ?? intervalMs, intervalMs);
    return Math.max(intervalMs, idleCheckMs ?? intervalMs);
  }

  /** A notification: the next tick comes notifiedGapMs after the last one at the latest, not after the rest. */
  private notified(): void {
    this.dirty = true;
    if (this.timer === undefined) return this.schedule();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.ticking !== null || !this.active()) return;
    const due = Math.max(0, this.lastTickAt + this.pauseMs() - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.options.isStopping()) {
        for (const listener of this.stoppingListeners) listener();
        return;
      }
      void this.tick();
    }, due);
    // Waiters have their own timeouts; the clock alone must not keep a process alive.
    this.timer.unref();
  }

  /** One reading at a time: concurrent callers share it. The next tick is scheduled once it is done. */
  private tick(): Promise<Epoch | null> {
    this.ticking ??= this.readOnce().finally(() => {
      this.ticking = null;
      this.schedule();
    });
    return this.ticking;
  }

  private async readOnce(): Promise<Epoch | null> {
    // The reading may miss what commits while it runs: its age counts from when it began, and a notification
    // that arrives meanwhile makes another.
    const startedAt = Date.now();
    this.dirty = false;
    // Opens the LISTEN connection on the first tick, and again after it was lost (rate-limited by the listener).
    if (this.options.signal?.connected === false) void this.options.signal.listening();
    try {
      const reading = await this.options.read(await this.options.tables(), this.last);
      this.last = reading;
      this.lastTickAt = startedAt;
      this.failing = false;
      this.unsettled = reading.unsettled === true;
      this.ticks += 1;
      const previous = this.epochValue;
      this.noteSpans(reading, previous);
      if (previous === null || movedSince(previous, reading)) {
        this.epochValue = { ...reading, since: Date.now() };
        for (const listener of this.listeners) listener(this.epochValue, previous);
      }
      return this.epochValue;
    } catch (error) {
      this.dirty = true;
      this.failing = true;
      if (Date.now() - this.lastErrorLogAt > ERROR_LOG_EVERY_MS) {
        this.lastErrorLogAt = Date.now();
        this.options.logger.warn({ err: error }, 'serving clock: reading the versions failed; reads take their own bound meanwhile');
      }
      return null;
    }
  }

  /**
   * Extends each table's latest quiet span to the reading's upper version, or starts a new one above it when the
   * table changed. A quietFrom that moved without passing the latest span's end can only be a minimum valid
   * version raised by retention: spans below it would send clients to a window it no longer serves, so they go.
   */
  private noteSpans(reading: ClockReading, previous: Epoch | null): void {
    if (previous !== null && previous.incarnation !== reading.incarnation) this.spans.clear();
    for (const [table, quietFrom] of reading.quietFrom) {
      const spans = this.spans.get(table) ?? [];
      const latest = spans.at(-1);
      if (latest !== undefined && latest.from === quietFrom) {
        if (reading.upper > latest.to) latest.to = reading.upper;
        continue;
      }
      if (quietFrom > reading.upper) continue;
      if (latest !== undefined && quietFrom <= latest.to) spans.length = 0;
      spans.push({ from: quietFrom, to: reading.upper });
      if (spans.length > SPANS_PER_TABLE) spans.shift();
      this.spans.set(table, spans);
    }
    for (const table of this.spans.keys()) if (!reading.quietFrom.has(table)) this.spans.delete(table);
  }
}

/** Whether a reading shows a change the epoch does not: another incarnation, or a table whose changes moved on. */
function movedSince(epoch: Epoch, reading: ClockReading): boolean {
  if (epoch.incarnation !== reading.incarnation || epoch.upper !== reading.upper) return true;
  for (const [table, quietFrom] of reading.quietFrom) if (epoch.quietFrom.get(table) !== quietFrom) return true;
  return false;
}

/**
 * How far a table's window from `since` is known to hold no change: up to the epoch's upper version, or null
 * when it may hold one. A client ahead of this replica's epoch (another replica, a moment ahead, served it; or a
 * database restored to an earlier point) is never answered from the clock: the database must tell which.
 */
export function quietUpTo(epoch: Epoch, trackingName: string, since: bigint): bigint | null {
  const quietFrom = epoch.quietFrom.get(trackingName);
  if (quietFrom === undefined || since < quietFrom || since > epoch.upper) return null;
  return epoch.upper;
}
