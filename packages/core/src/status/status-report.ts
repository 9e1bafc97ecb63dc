import type { Queryable } from '../db/index.js';
import * as pgSql from './status-sql.postgres.js';
import * as msSql from './status-sql.mssql.js';
import { reconcileFigures, type ReconciliationRow, type SalesFigure } from './reconciliation.js';
import { readDatabaseSize, type DatabaseSize } from './database-size.js';

export interface TableStatus {
  table: string;
  version: string;
  mode: 'delta' | 'snapshot';
  rowsApplied: string;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  rejectedRows: number;
  /** Central columns the table's pages carry that no local column maps to (schema drift); null when none. */
  ignoredColumns: string | null;
}

export interface DaemonHealth {
  service: 'pull-service' | 'push-service';
  url: string;
  /** ok: 200; fail: it answered not ready; unreachable: no HTTP answer at all. */
  state: 'ok' | 'fail' | 'unreachable';
  httpStatus: number | null;
  /** The readiness body's reasons, or the connection error. */
  detail: string | null;
  /** How the central API serves that daemon (reachable, unavailable, unreachable-long, auth-refused), when it says. */
  centralState: string | null;
}

export interface SyncStatus {
  tables: TableStatus[];
  /** Rejected rows of tables no longer in sync_checkpoint. */
  otherRejected: { table: string; rejectedRows: number }[];
  outbox: {
    pending: number;
    inFlight: number;
    oldestPendingAgeSeconds: number | null;
    deadLetters: number;
    /** The 10 most frequent dead-letter reasons. */
    deadLetterReasons: { reason: string; events: number; lastDeadAt: string | null }[];
  };
  /** Captures of sales not yet turned into outbox events; null on a PDV schema from before pdv/0011. */
  captures: { pending: number; oldestAgeSeconds: number | null } | null;
  /**
   * Sales per day (and the sessions that differ) on this PDV against the central API, as push-service last
   * recorded them; null on a PDV schema from before pdv/0011.
   */
  reconciliation: {
    checkedAt: string | null;
    centralError: string | null;
    days: ReconciliationRow[];
    sessions: ReconciliationRow[];
  } | null;
  daemons: DaemonHealth[];
  /** How full the database is against its data size limit (SQL Server Express, PDV_DB_SIZE_LIMIT_MB). */
  databaseSize: DatabaseSize;
}

const sqlFor = (db: Queryable) => (db.dialect === 'mssql' ? msSql : pgSql);

const iso = (value: unknown): string | null => (value === null || value === undefined ? null : new Date(value as string | Date).toISOString());

/** False on a database where the PDV sync schema (its status views included) was never applied. */
export async function hasSyncTables(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ n: unknown }>(sqlFor(db).statusViewCount);
  return Number(rows[0]?.n ?? 0) === 4;
}

export async function readSyncStatus(db: Queryable, daemonUrls: { pull: string; push: string }, healthTimeoutMs = 2_000, sizeLimitMb?: number): Promise<SyncStatus> {
  // The health probes run while the database is read: a daemon that does not answer costs its timeout once.
  const daemons = Promise.all([probeDaemon('pull-service', daemonUrls.pull, healthTimeoutMs), probeDaemon('push-service', daemonUrls.push, healthTimeoutMs)]);
  const local = await readLocalSyncStatus(db);
  const databaseSize = await readDatabaseSize(db, sizeLimitMb);
  return { ...local, daemons: await daemons, databaseSize };
}

/**
 * What the database says of the sync, without asking the daemons: `status` shows it, and each daemon's status
 * report to the central API (the fleet view) is made of it, so both read the same views the same way.
 */
export async function readLocalSyncStatus(db: Queryable): Promise<Omit<SyncStatus, 'daemons' | 'databaseSize'>> {
  const sql = sqlFor(db);
  const checkpoints = await db.query<Record<string, unknown>>(sql.checkpoints);
  const orphans = await db.query<{ table_name: string; rejected: unknown }>(sql.orphanRejected);
  const outbox = (await db.query<Record<string, unknown>>(sql.outbox)).rows[0]!;
  const reasons = await db.query<{ reason: string; events: unknown; last_dead_at: unknown }>(sql.deadLetterReasons);
  const events = await readEventStatus(db);
  const ignored = await readIgnoredColumns(db);
  return {
    tables: checkpoints.rows.map((row) => ({
      table: String(row.table_name),
      version: String(row.version),
      mode: row.mode === 'snapshot' ? 'snapshot' : 'delta',
      rowsApplied: String(row.rows_applied),
      lastSuccessAt: iso(row.last_success_at),
      lastError: (row.last_error as string | null) ?? null,
      lastErrorAt: iso(row.last_error_at),
      rejectedRows: Number(row.rejected),
      ignoredColumns: ignored.get(String(row.table_name)) ?? null,
    })),
    otherRejected: orphans.rows.map((row) => ({ table: row.table_name, rejectedRows: Number(row.rejected) })),
    outbox: {
      pending: Number(outbox.pending),
      inFlight: Number(outbox.in_flight),
      oldestPendingAgeSeconds: outbox.oldest_age_s === null ? null : Math.round(Number(outbox.oldest_age_s)),
      deadLetters: Number(outbox.dead_letters),
      deadLetterReasons: reasons.rows.map((row) => ({ reason: row.reason, events: Number(row.events), lastDeadAt: iso(row.last_dead_at) })),
    },
    ...events,
  };
}

/** Ignored central columns by table, from the view of pdv/0012 (none on a schema from before it). */
async function readIgnoredColumns(db: Queryable): Promise<Map<string, string>> {
  const sql = sqlFor(db);
  if (Number((await db.query<{ n: unknown }>(sql.tableColumnsViewCount)).rows[0]?.n ?? 0) === 0) return new Map();
  const { rows } = await db.query<{ table_name: string; ignored_columns: string }>(sql.tableColumns);
  return new Map(rows.map((row) => [row.table_name, row.ignored_columns]));
}

interface ReconciliationRecord {
  day: string;
  session_key: string;
  local_sales: unknown;
  local_total: string;
  central_sales: unknown;
  central_total: string | null;
  central_error: string | null;
  checked_at: unknown;
}

/** The capture backlog and the recorded reconciliation, from the views of pdv/0011. */
async function readEventStatus(db: Queryable): Promise<Pick<SyncStatus, 'captures' | 'reconciliation'>> {
  const sql = sqlFor(db);
  const views = Number((await db.query<{ n: unknown }>(sql.eventViewCount)).rows[0]?.n ?? 0);
  if (views < 2) return { captures: null, reconciliation: null };
  const capture = (await db.query<{ pending: unknown; oldest_age_s: unknown }>(sql.capture)).rows[0]!;
  const records = (await db.query<ReconciliationRecord>(sql.reconciliation)).rows;
  // Compared day by day: a day whose central figures are unknown is shown without a difference.
  const days: ReconciliationRow[] = [];
  const sessions: ReconciliationRow[] = [];
  for (const day of [...new Set(records.map((r) => r.day))]) {
    const ofDay = records.filter((r) => r.day === day);
    const local: SalesFigure[] = ofDay.map((r) => ({ day, session: r.session_key, sales: Number(r.local_sales), total: r.local_total }));
    const centralKnown = ofDay.every((r) => r.central_sales !== null);
    const central: SalesFigure[] | null = centralKnown ? ofDay.map((r) => ({ day, session: r.session_key, sales: Number(r.central_sales), total: r.central_total ?? '0' })) : null;
    const compared = reconcileFigures(local, central);
    days.push(...compared.days);
    sessions.push(...compared.sessions);
  }
  const checked = records.map((r) => iso(r.checked_at)).filter((at): at is string => at !== null).sort();
  return {
    captures: { pending: Number(capture.pending), oldestAgeSeconds: capture.oldest_age_s === null ? null : Math.round(Number(capture.oldest_age_s)) },
    reconciliation: { checkedAt: checked.at(-1) ?? null, centralError: records.find((r) => r.central_error !== null)?.central_error ?? null, days, sessions },
  };
}

async function probeDaemon(service: DaemonHealth['service'], url: string, timeoutMs: number): Promise<DaemonHealth> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    // Two daemons on one host (or in one container's view) must not both be judged by the same answer: the
    // reply names its service, and a URL that reaches the other daemon is a misconfiguration, not a state.
    const answeredAs = serviceOfReply(text);
    if (answeredAs !== null && answeredAs !== service) {
      return { service, url, state: 'fail', httpStatus: response.status, detail: `${url} answers as ${answeredAs}, not ${service}: set ${service === 'pull-service' ? 'PULL' : 'PUSH'}_HEALTH_URL to the ${service} health port`, centralState: null };
    }
    return { service, url, state: response.status === 200 ? 'ok' : 'fail', httpStatus: response.status, detail: readinessDetail(text, response.status === 200), centralState: centralStateOf(text) };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { service, url, state: 'unreachable', httpStatus: null, detail: cause?.code ?? cause?.message ?? (error as Error).message, centralState: null };
  }
}

function centralStateOf(text: string): string | null {
  try {
    const body = JSON.parse(text) as { info?: { centralState?: unknown } };
    return typeof body.info?.centralState === 'string' ? body.info.centralState : null;
  } catch {
    return null;
  }
}

function serviceOfReply(text: string): string | null {
  try {
    const body = JSON.parse(text) as { service?: unknown };
    return typeof body.service === 'string' ? body.service : null;
  } catch {
    return null;
  }
}

/**
 * What a readiness answer says is wrong: its not-ready components, then its degraded parts (ready, but e.g. the
 * central API is unreachable or a table is failing). Null when nothing is.
 */
function readinessDetail(text: string, ready: boolean): string | null {
  try {
    type Part = { ok?: boolean; detail?: string; reason?: string };
    const body = JSON.parse(text) as { components?: Record<string, Part>; degraded?: Record<string, Part> };
    const failing = Object.entries(body.components ?? {}).filter(([, c]) => c.ok === false).map(([name, c]) => `${name}: ${c.detail ?? 'not ready'}`);
    const degraded = Object.entries(body.degraded ?? {}).map(([name, d]) => `${name}: ${d.reason ?? d.detail ?? 'degraded'}`);
    const parts = [...failing, ...degraded];
    return parts.length > 0 ? parts.join('; ').slice(0, 500) : null;
  } catch {
    // not JSON: the start of the body says enough
    return ready ? null : text.slice(0, 200);
  }
}
