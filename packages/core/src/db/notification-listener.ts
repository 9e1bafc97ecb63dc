import pg from 'pg';
import { databaseSettingsFromEnv, type DatabaseEnv } from '../config/database-settings.js';
import { postgresConnectionOptions } from './postgres.js';
import type { DatabaseSettings } from './settings.js';
import type { Queryable } from './types.js';

/** The payload of the notification that checks, once per connection, that notifications arrive at all. */
const PROBE_PAYLOAD = 'probe';
/** A notification crosses connections of one server in milliseconds; this is only the bound of a broken setup. */
const PROBE_TIMEOUT_MS = 3_000;

/** Pause between two failed attempts to open the LISTEN connection; the user polls meanwhile. */
const RECONNECT_PAUSE_MS = 30_000;

interface ListenerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface NotificationListenerOptions {
  /** The channel the triggers notify (a plain identifier). */
  channel: string;
  /** What is notified, for the logs: "outbox" gives "outbox notifications". */
  subject: string;
  /** What the process does while it cannot listen, for the logs: "polling the outbox at POLL_INTERVAL_MS". */
  fallback: string;
  /** application_name of the LISTEN connection (pg_stat_activity). */
  applicationName: string;
}

/**
 * One connection of its own, on a PostgreSQL server, that LISTENs for a notification triggers raise at commit
 * (push-service's outbox wake-up, central-api's change notification). Its user polls rarely while this listens,
 * and a notification cuts the wait short. Whatever it cannot do (connect, stay connected) only makes its user
 * poll at the usual interval; it never fails anything. A lost connection counts as a notification: what came
 * while nobody listened is found by the next read.
 */
export class NotificationListener {
  private client: pg.Client | null = null;
  private connecting: Promise<boolean> | null = null;
  /** A notification came (or may have been missed) since the last clear(): the next wait returns at once. */
  private pending = false;
  private wake: (() => void) | null = null;
  private lostLogged = false;
  private stopped = false;
  /** Notifications were found not to cross connections here: polling for the rest of the process. */
  private unsupported = false;
  private probeArrived: (() => void) | null = null;
  /** After a failed connect, no new attempt before this (each attempt may take the whole connect timeout). */
  private retryAt = 0;
  private readonly listeners = new Set<() => void>();

  /**
   * @param pool the process's own database, on which the start's probe notification is sent from another
   *   connection than the LISTEN one, as a writing transaction would send it.
   */
  constructor(
    private readonly settings: Extract<DatabaseSettings, { kind: 'postgres' }>,
    private readonly pool: Pick<Queryable, 'query'>,
    private readonly logger: ListenerLogger,
    private readonly options: NotificationListenerOptions,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(options.channel)) throw new Error(`notification channel "${options.channel}" is not a plain identifier`);
  }

  /** Whether the LISTEN connection is up now (no attempt to connect). */
  get connected(): boolean {
    return this.client !== null;
  }

  /** Calls `listener` on every notification, and when the connection comes up or is lost. */
  onNotification(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called before a read: a notification from here on means there may be something new. */
  clear(): void {
    this.pending = false;
  }

  /** True while the LISTEN connection is up; connects (again) when it is not, within the connect timeout. */
  async listening(): Promise<boolean> {
    if (this.client !== null) return true;
    if (this.stopped || this.unsupported || Date.now() < this.retryAt) return false;
    this.connecting ??= this.connect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  /** Resolves true when a notification came (before or during the wait), false after `ms` or on abort. */
  async wait(ms: number, signal: AbortSignal): Promise<boolean> {
    if (this.pending) return true;
    if (signal.aborted || this.client === null) return false;
    return new Promise<boolean>((resolve) => {
      const done = (woken: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.wake = null;
        resolve(woken);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), ms);
      signal.addEventListener('abort', onAbort, { once: true });
      this.wake = () => done(true);
    });
  }

  /** Closes the LISTEN connection. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.connecting;
    const client = this.client;
    this.client = null;
    this.wake?.();
    await client?.end().catch(() => undefined);
  }

  private notified(): void {
    this.pending = true;
    this.wake?.();
    for (const listener of this.listeners) listener();
  }

  private async connect(): Promise<boolean> {
    const { settings } = this;
    const client = new pg.Client({
      ...postgresConnectionOptions(settings, this.options.applicationName),
      // The connection sits idle for hours: keepalives find a peer that vanished (a restarted server).
      keepAlive: true,
    });
    // An 'error' with no listener would end the process; a lost connection is a reason to poll, nothing more.
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, null));
    const { channel, subject, fallback } = this.options;
    client.on('notification', (message) => {
      if (message.channel !== channel) return;
      if (message.payload === PROBE_PAYLOAD) this.probeArrived?.();
      this.notified();
    });
    let crossesConnections: boolean;
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      crossesConnections = await this.probe();
    } catch (error) {
      await client.end().catch(() => undefined);
      this.retryAt = Date.now() + RECONNECT_PAUSE_MS;
      if (!this.lostLogged) this.logger.warn({ err: error }, `could not listen for ${subject} notifications; ${fallback}`);
      this.lostLogged = true;
      return false;
    }
    if (!crossesConnections) {
      // An embedded PGlite served over a socket accepts LISTEN but delivers no other connection's NOTIFY: trusting
      // it would hold every change until the longest pause. Such a database is polled, as SQL Server is.
      await client.end().catch(() => undefined);
      this.unsupported = true;
      this.logger.info({ probeMs: PROBE_TIMEOUT_MS }, `${subject} notifications do not reach this process from other connections; ${fallback}`);
      return false;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return false;
    }
    this.client = client;
    if (this.lostLogged) this.logger.info({}, `listening for ${subject} notifications again`);
    this.lostLogged = false;
    // Changes may have come while nobody listened: the first wait after a (re)connect returns at once.
    this.notified();
    return true;
  }

  /** True when a notification sent from another connection reaches the LISTEN connection within the bound. */
  private async probe(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const arrived = new Promise<boolean>((resolve) => {
      this.probeArrived = () => resolve(true);
      timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
    });
    try {
      await this.pool.query('SELECT pg_notify($1, $2)', [this.options.channel, PROBE_PAYLOAD]);
      return await arrived;
    } finally {
      clearTimeout(timer);
      this.probeArrived = null;
    }
  }

  private lost(client: pg.Client, error: Error | null): void {
    if (this.client !== client) return;
    this.client = null;
    if (!this.stopped && !this.lostLogged) this.logger.warn({ err: error ?? undefined }, `the ${this.options.subject} notification connection closed; ${this.options.fallback} until it is back`);
    this.lostLogged = !this.stopped;
    // A wait in progress returns now, and the user's next read finds what it missed (and reconnects).
    this.notified();
  }
}

/**
 * The listener for a process's database when it is a PostgreSQL server its DB_* settings name; null otherwise:
 * SQL Server has no such notification, an embedded PGlite no other connection to notify from, and a database
 * handed in without DB_* settings (tests, benches) none to connect with. Its user then polls.
 */
export function notificationListenerFor(env: DatabaseEnv, db: Queryable, logger: ListenerLogger, options: NotificationListenerOptions): NotificationListener | null {
  if (db.dialect !== 'postgres') return null;
  let settings: DatabaseSettings;
  try {
    settings = databaseSettingsFromEnv(env);
  } catch {
    return null;
  }
  return settings.kind === 'postgres' ? new NotificationListener(settings, db, logger, options) : null;
}
