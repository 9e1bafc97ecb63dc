import {
  compatibilityCheck,
  databaseAnswersCheck,
  fail,
  pass,
  permissionsCheck,
  schemaChangesCheck,
  syncObjectName,
  warn,
  type CheckResult,
  type Database,
  type DatabaseSettings,
  type DoctorCheck,
  type PermissionNeed,
} from '@goldpdv/core';
import type { CentralConfig } from '../config.js';
import { readServedTables } from '../deltas/index.js';
import { storesFor } from '../dialect-stores.js';
import { CENTRAL_DOCTOR_SQL_MSSQL } from './central-doctor-sql.mssql.js';
import { CENTRAL_DOCTOR_SQL_POSTGRES } from './central-doctor-sql.postgres.js';
import type { CentralDoctorStatements } from './central-doctor-sql.js';

interface TrackedTableRow {
  table_name: string;
  found: number | string;
  capturing: number | string;
}

/** Below this, a PDV switched off over a long weekend comes back to full re-snapshots. */
const SHORT_RETENTION_MINUTES = 3 * 1_440;

/**
 * `central-api doctor`: what would break syncing on the central side, one line per check. Every check is a small
 * function; the ones shared with the PDVs' doctors (database, compatibility, permissions) are core's.
 */
export function centralDoctorChecks(config: CentralConfig, db: Database, settings: DatabaseSettings): DoctorCheck[] {
  const sql: CentralDoctorStatements = db.dialect === 'mssql' ? CENTRAL_DOCTOR_SQL_MSSQL : CENTRAL_DOCTOR_SQL_POSTGRES;
  const stores = storesFor(db.dialect);
  let tracked: Promise<TrackedTableRow[]> | undefined;
  const trackedTables = () => (tracked ??= db.query<TrackedTableRow>(sql.trackedTables).then((result) => result.rows));
  const table = (name: string) => syncObjectName(db.dialect, name);
  const missingFix = `start central-api once with DB_SCHEMA_AUTO_APPLY=true, or apply common/${db.dialect}/central/ by hand (docs/operators-guide.md 2.1)`;

  return [
    databaseAnswersCheck(db, settings),
    compatibilityCheck(db, settings),
    {
      name: 'snapshot isolation',
      needs: 'database',
      async run() {
        const row = (await db.query<{ allowed: number | string; state: string }>(sql.snapshotIsolation)).rows[0];
        if (Number(row?.allowed) === 1) return pass(row!.state);
        return fail(`snapshot isolation is not allowed (${row?.state ?? 'unknown'}): every delta and snapshot read fails (error 3952)`, 'ALTER DATABASE CURRENT SET ALLOW_SNAPSHOT_ISOLATION ON (it waits for open transactions to finish)');
      },
    },
    {
      name: 'change retention',
      needs: 'database',
      run: () => changeRetention(db, sql, config),
    },
    {
      name: 'change tracking',
      needs: 'database',
      async run() {
        const rows = await trackedTables();
        const results: CheckResult[] = [];
        if (rows.length === 0) {
          return fail('no table is tracked: central serves nothing to pull', db.dialect === 'mssql' ? 'ALTER TABLE dbo.<table> ENABLE CHANGE_TRACKING for each catalog table (common/mssql/central/0002_enable_change_tracking.sql)' : "SELECT sync_enable_tracking('<table>', ARRAY['<key column>']) for each catalog table");
        }
        const recording: string[] = [];
        for (const row of rows) {
          if (Number(row.found) !== 1) results.push(fail('registered for tracking, but the table does not exist', `DELETE FROM sync_change_tracking WHERE table_name = '${row.table_name}', or create the table and run sync_enable_tracking again`, row.table_name));
          else if (Number(row.capturing) !== 1) {
            results.push(fail('its change-log trigger is missing or disabled: changes made now never reach the PDVs', `SELECT sync_enable_tracking('${row.table_name}', <key columns>) (re-creates the trigger); then have the PDVs re-snapshot the table (pull-service: node dist/cli.js resnapshot ${row.table_name})`, row.table_name));
          } else recording.push(row.table_name);
        }
        if (recording.length > 0) results.unshift(pass(`${recording.length} table(s) record their changes (${db.dialect === 'mssql' ? 'Change Tracking' : 'change-log trigger'}): ${recording.join(', ')}`));
        return results;
      },
    },
    {
      name: 'served tables',
      needs: 'database',
      async run() {
        const declaration = config.SERVED_TABLES_FILE;
        const check = await readServedTables(db, stores.deltas, declaration);
        const results: CheckResult[] = check.problems.map(({ table, source, problem }) =>
          fail(`${source}: ${problem}: requests for ${table} are answered 409 table-paused`, `correct the database or ${declaration.file} (SERVED_TABLES_FILE)`, table),
        );
        if (check.served.length > 0) results.unshift(pass(`${check.served.length} of ${declaration.tables.length} declared table(s) served (${declaration.file}): ${check.served.map((table) => table.name).join(', ')}`));
        return results;
      },
    },
    permissionsCheck(
      db,
      async () => {
        // A login that may not even read the tracking catalog still gets its other permissions checked.
        const tracked = await trackedTables().catch(() => []);
        const tables = tracked.filter((row) => Number(row.found) === 1).map((row) => row.table_name);
        const handlers: string[] = [];
        for (const routine of new Set(config.EVENT_HANDLERS.values())) if (await stores.inbox.routineExists(db, routine)) handlers.push(routine);
        return centralPermissionNeeds(db.dialect, tables, handlers, table);
      },
      missingFix,
    ),
    schemaChangesCheck(db, config.DB_SCHEMA_AUTO_APPLY),
    {
      name: 'event handlers',
      needs: 'database',
      async run() {
        if (config.EVENT_HANDLERS.size === 0) return pass('EVENT_HANDLERS is empty: events are stored in sync_inbox only');
        const results: CheckResult[] = [];
        for (const [type, routine] of config.EVENT_HANDLERS) {
          if (await stores.inbox.routineExists(db, routine)) results.push(pass(`${stores.inbox.describeRoutine(routine)} exists`, type));
          else results.push(fail(`EVENT_HANDLERS names ${routine}, and ${stores.inbox.describeRoutine(routine)} is not in the database: central-api refuses to start`, 'create it (common/<dialect>/central/0004_event_handlers.sql has the reference ones) or correct EVENT_HANDLERS', type));
        }
        return results;
      },
    },
    {
      name: 'PDV registry',
      needs: 'database',
      async run() {
        const pdvs = await stores.pdvs.listAll(db);
        const active = pdvs.filter((pdv) => pdv.active).length;
        const results: CheckResult[] = [
          active > 0
            ? pass(`${active} active PDV(s), ${pdvs.length - active} revoked`)
            : warn('no active PDV: every PDV request is refused (401)', 'central-api pdv add <pdv-id> --loja <loja-id> for each PDV (or pdv add --from-csv)'),
        ];
        if (config.PDV_TOKENS.length > 0) {
          results.push(
            warn(
              `PDV_TOKENS lists ${config.PDV_TOKENS.length} PDV(s): a development shortcut that, at every start, overwrites their tokens and re-activates them (undoing a rotate-token or a revoke)`,
              'register production PDVs with central-api pdv add and leave PDV_TOKENS empty',
            ),
          );
        }
        return results;
      },
    },
  ];
}

async function changeRetention(db: Database, sql: CentralDoctorStatements, config: CentralConfig): Promise<CheckResult | CheckResult[]> {
  const row = (await db.query<{ retention_minutes: number | string; auto_cleanup: number | string }>(sql.changeRetention)).rows[0];
  if (row === undefined) {
    return db.dialect === 'mssql'
      ? fail('Change Tracking is off for this database: nothing can be pulled', 'apply common/mssql/central/0002_enable_change_tracking.sql (ALTER DATABASE CURRENT SET CHANGE_TRACKING = ON (CHANGE_RETENTION = 7 DAYS, AUTO_CLEANUP = ON))')
      : fail('sync_settings has no change_retention_days: the change-log retention cannot run', "apply common/postgres/central/0002_change_tracking.sql, or INSERT INTO sync_settings (name, value) VALUES ('change_retention_days', '7')");
  }
  const minutes = Number(row.retention_minutes);
  const days = minutes / 1_440;
  const results: CheckResult[] = [];
  const said = `changes are kept ${Number.isInteger(days) ? `${days} day(s)` : `${minutes} minute(s)`}: a PDV offline longer re-snapshots its tables`;
  if (minutes < SHORT_RETENTION_MINUTES) results.push(warn(said, 'set CT_RETENTION_DAYS above the longest time a PDV may stay offline (e.g. 14), applied at the next start'));
  else results.push(pass(said));
  if (config.CT_RETENTION_DAYS !== undefined && config.CT_RETENTION_DAYS * 1_440 !== minutes) {
    results.push(pass(`CT_RETENTION_DAYS=${config.CT_RETENTION_DAYS} is applied at the next start of central-api`));
  }
  if (db.dialect === 'mssql' && Number(row.auto_cleanup) !== 1) {
    results.push(warn('AUTO_CLEANUP is off: the change tracking tables grow without bound', 'ALTER DATABASE CURRENT SET CHANGE_TRACKING (AUTO_CLEANUP = ON)'));
  }
  if (db.dialect === 'postgres' && config.CHANGE_RETENTION_CLEANUP_INTERVAL_MS === 0) {
    results.push(warn('CHANGE_RETENTION_CLEANUP_INTERVAL_MS=0: the change log is never trimmed', 'unset it (hourly by default) on at least one replica'));
  }
  return results;
}

/** What central-api reads and writes: the registry, the inbox, the lojas, each tracked table and each handler. */
function centralPermissionNeeds(dialect: Database['dialect'], tracked: readonly string[], existingHandlers: readonly string[], table: (name: string) => string): PermissionNeed[] {
  const needs: PermissionNeed[] = [
    { kind: 'table', name: table('sync_pdv'), permissions: ['SELECT', 'INSERT', 'UPDATE'], why: 'token lookups, last-seen times, pdv add/rotate-token/revoke/move' },
    { kind: 'table', name: table('sync_inbox'), permissions: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'], why: 'event ingest and its dedupe' },
    { kind: 'table', name: table('sync_inbox_purged'), permissions: ['SELECT', 'INSERT'], why: 'the dedupe of events past INBOX_RETENTION_DAYS (read on every ingest)' },
    { kind: 'table', name: table('loja'), permissions: ['SELECT'], why: 'pdv add and move check the loja' },
  ];
  for (const name of tracked) {
    needs.push({ kind: 'table', name: table(name), permissions: dialect === 'mssql' ? ['SELECT', 'VIEW CHANGE TRACKING'] : ['SELECT'], why: 'deltas and snapshots' });
  }
  if (dialect === 'postgres') {
    needs.push(
      { kind: 'table', name: table('sync_change_log'), permissions: ['SELECT', 'DELETE'], why: 'deltas, and the change-log retention' },
      { kind: 'table', name: table('sync_change_tracking'), permissions: ['SELECT', 'UPDATE'], why: 'the minimum valid versions' },
      { kind: 'table', name: table('sync_settings'), permissions: ['SELECT', 'UPDATE'], why: 'CT_RETENTION_DAYS' },
    );
  }
  // A handler that does not exist is the event handlers line's failure; here only the right to call it.
  for (const routine of existingHandlers) {
    needs.push({ kind: 'routine', name: table(routine), permissions: ['EXECUTE'], why: 'EVENT_HANDLERS' });
  }
  return needs;
}
