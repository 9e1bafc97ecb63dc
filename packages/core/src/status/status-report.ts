import type { Queryable } from '../db/index.js';
import * as pgSql from './status-sql.postgres.js';
import * as msSql from './status-sql.mssql.js';

export interface TableStatus {
  table: string;
  version: string;
  mode: 'delta' | 'snapshot';
  rowsApplied: string;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  rejectedRows: number;
}

export interface DaemonHealth {
  service: 'pull-service' | 'push-service';
  url: string;
  /** ok: 200; fail: it answered not ready; unreachable: no HTTP answer at all. */
  state: 'ok' | 'fail' | 'unreachable';
  httpStatus: number | null;
  /** The readiness body's reasons, or the connection error. */
  detail: string | null;
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
  daemons: DaemonHealth[];
}

const sqlFor = (db: Queryable) => (db.dialect === 'mssql' ? msSql : pgSql);

const iso = (value: unknown): string | null => (value === null || value === undefined ? null : new Date(value as string | Date).toISOString());

/** False on a database where the PDV sync schema was never applied. */
export async function hasSyncTables(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ n: unknown }>(sqlFor(db).syncTableCount);
  return Number(rows[0]?.n ?? 0) === 4;
}

export async function readSyncStatus(db: Queryable, daemonUrls: { pull: string; push: string }, healthTimeoutMs = 2_000): Promise<SyncStatus> {
  const sql = sqlFor(db);
  // The health probes run while the database is read: a daemon that does not answer costs its timeout once.
  const daemons = Promise.all([probeDaemon('pull-service', daemonUrls.pull, healthTimeoutMs), probeDaemon('push-service', daemonUrls.push, healthTimeoutMs)]);
  const checkpoints = await db.query<Record<string, unknown>>(sql.checkpoints);
  const orphans = await db.query<{ table_name: string; rejected: unknown }>(sql.orphanRejected);
  const outbox = (await db.query<Record<string, unknown>>(sql.outbox)).rows[0]!;
  const reasons = await db.query<{ reason: string; events: unknown; last_dead_at: unknown }>(sql.deadLetterReasons);
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
    })),
    otherRejected: orphans.rows.map((row) => ({ table: row.table_name, rejectedRows: Number(row.rejected) })),
    outbox: {
      pending: Number(outbox.pending),
      inFlight: Number(outbox.in_flight),
      oldestPendingAgeSeconds: outbox.oldest_age_s === null ? null : Math.round(Number(outbox.oldest_age_s)),
      deadLetters: Number(outbox.dead_letters),
      deadLetterReasons: reasons.rows.map((row) => ({ reason: row.reason, events: Number(row.events), lastDeadAt: iso(row.last_dead_at) })),
    },
    daemons: await daemons,
  };
}

async function probeDaemon(service: DaemonHealth['service'], url: string, timeoutMs: number): Promise<DaemonHealth> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    return { service, url, state: response.status === 200 ? 'ok' : 'fail', httpStatus: response.status, detail: readinessDetail(text, response.status === 200) };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { service, url, state: 'unreachable', httpStatus: null, detail: cause?.code ?? cause?.message ?? (error as Error).message };
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
