import { z } from 'zod';
import { databaseEnv, SECRET_VARIABLES } from '../config/common-env.js';
import { databaseSettingsFromEnv } from '../config/database-settings.js';
import { exitOnConfigError, loadConfig } from '../config/load-config.js';
import { ConfigError } from '../errors/index.js';
import { openDatabase, type Database } from '../db/index.js';
import { hasSyncTables, readSyncStatus, type SyncStatus } from './status-report.js';
import { DATABASE_SIZE_FIX, databaseSizeEnv, describeDatabaseSize } from './database-size.js';
import type { Reconciliation, ReconciliationRow } from './reconciliation.js';

const DEFAULT_HEALTH_URL = 'http://127.0.0.1:8080/health/ready';

const statusEnv = {
  ...databaseEnv,
  PULL_HEALTH_URL: z.string().url().default(DEFAULT_HEALTH_URL),
  PUSH_HEALTH_URL: z.string().url().default(DEFAULT_HEALTH_URL),
  ...databaseSizeEnv,
};

export const STATUS_USAGE = `  status [--json]                    is this PDV in sync, and what is stuck (tables, outbox, daemons)
                                     reads DB_*; daemons' readiness from PULL_HEALTH_URL and PUSH_HEALTH_URL
                                     (default ${DEFAULT_HEALTH_URL})`;

/**
 * `status`: one report for a store's support person. Exit 0 with the report, 1 when the database has no sync
 * tables yet (one line), 2 on a bad configuration (one line).
 */
export async function runStatusCommand(program: string, argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  let db: Database;
  let urls: { pull: string; push: string };
  let sizeLimitMb: number | undefined;
  try {
    const env = loadConfig(z.object(statusEnv), { secretVariables: SECRET_VARIABLES });
    urls = { pull: env.PULL_HEALTH_URL, push: env.PUSH_HEALTH_URL };
    sizeLimitMb = env.PDV_DB_SIZE_LIMIT_MB;
    db = await openDatabase(databaseSettingsFromEnv(env), program);
  } catch (error) {
    if (error instanceof ConfigError) exitOnConfigError(program, error);
    throw error;
  }
  try {
    if (!(await hasSyncTables(db))) {
      process.stderr.write(`${program}: no sync tables in this database (sync_checkpoint, sync_outbox...): the PDV schema was never applied; start a daemon once or apply it\n`);
      return 1;
    }
    const status = await readSyncStatus(db, urls, undefined, sizeLimitMb);
    process.stdout.write(json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    return 0;
  } finally {
    await db.close();
  }
}

/** The human form: one table per section, columns padded. */
export function formatStatus(status: SyncStatus): string {
  const out: string[] = [];
  out.push('PULLED TABLES');
  if (status.tables.length === 0) out.push('  (no checkpoint yet: the pull-service has not run)');
  else {
    out.push(
      ...grid(
        ['table', 'version', 'mode', 'rows applied', 'rejected', 'last success', 'last error'],
        status.tables.map((t) => [t.table, t.version, t.mode, t.rowsApplied, String(t.rejectedRows), t.lastSuccessAt ?? '-', t.lastError ? `${t.lastErrorAt ?? ''} ${t.lastError}`.trim().slice(0, 120) : '-']),
      ),
    );
  }
  for (const t of status.tables) if (t.ignoredColumns !== null) out.push(`  ${t.table}: central columns ignored (no local column maps them): ${t.ignoredColumns.slice(0, 300)}`);
  for (const other of status.otherRejected) out.push(`  rejected rows of ${other.table} (no checkpoint): ${other.rejectedRows}`);
  const o = status.outbox;
  out.push('', 'OUTBOX');
  out.push(`  pending ${o.pending}, in flight ${o.inFlight}, oldest pending ${o.oldestPendingAgeSeconds === null ? '-' : `${o.oldestPendingAgeSeconds} s`}, dead letters ${o.deadLetters}`);
  if (o.deadLetterReasons.length > 0) out.push(...grid(['dead letters', 'last', 'reason'], o.deadLetterReasons.map((r) => [String(r.events), r.lastDeadAt ?? '-', r.reason.slice(0, 160)])));
  if (status.captures !== null) {
    const c = status.captures;
    out.push(`  sales captured, not yet events ${c.pending}, oldest ${c.oldestAgeSeconds === null ? '-' : `${c.oldestAgeSeconds} s`}`);
  }
  if (status.reconciliation !== null) {
    const r = status.reconciliation;
    out.push('', `RECONCILIATION (sales on this PDV against the central API; checked ${r.checkedAt ?? 'never'})`);
    if (r.centralError !== null) out.push(`  central figures unavailable: ${r.centralError.slice(0, 200)}`);
    out.push(...formatReconciliation(r));
  }
  out.push('', 'DATABASE SIZE');
  const size = status.databaseSize;
  out.push(size.nearLimit ? `  !! WARNING ${describeDatabaseSize(size)}: near the limit; ${DATABASE_SIZE_FIX}` : `  ${describeDatabaseSize(size)}`);
  out.push('', 'DAEMONS');
  out.push(...grid(['service', 'state', 'central', 'url', 'detail'], status.daemons.map((d) => [d.service, d.httpStatus === null ? d.state : `${d.state} (${d.httpStatus})`, d.centralState ?? '-', d.url, d.detail ?? '-'])));
  return `${out.join('\n')}\n`;
}

/**
 * The reconciliation as lines: one per day, then the sessions that differ. A row that differs starts with "!!"
 * and ends with DIFFERS, so that it stands out in a terminal and in a pasted support ticket alike.
 */
export function formatReconciliation(reconciliation: Pick<Reconciliation, 'days' | 'sessions'>): string[] {
  if (reconciliation.days.length === 0) return ['  (no sales recorded for the days compared)'];
  const cells = (row: ReconciliationRow, label: string) => [
    row.matches === false ? '!!' : '',
    row.day,
    label,
    String(row.local.sales),
    row.local.total,
    row.central === null ? '?' : String(row.central.sales),
    row.central === null ? '?' : row.central.total,
    row.matches === null ? 'central unknown' : row.matches ? 'same' : `DIFFERS by ${signed(row.difference!.sales)} sales, ${signed(row.difference!.total)}`,
  ];
  const header = ['', 'day', 'session', 'PDV sales', 'PDV total', 'central sales', 'central total', ''];
  const differing = reconciliation.sessions.filter((row) => row.matches === false);
  return grid(header, [...reconciliation.days.map((row) => cells(row, 'all')), ...differing.map((row) => cells(row, row.session === '' ? '(none)' : row.session ?? 'all'))]);
}

const signed = (value: number | string) => (String(value).startsWith('-') ? String(value) : `+${value}`);

function grid(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}
