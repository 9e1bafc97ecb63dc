import { ConfigError } from '../errors/index.js';
import { DATABASE_PROBE, checkDatabaseAtStart } from '../db/startup-check.js';
import { describeDriverError } from '../db/driver-error.js';
import { quoteQualifiedName } from '../db/identifiers.js';
import { describeDatabase, type DatabaseSettings } from '../db/settings.js';
import type { Database } from '../db/types.js';
import { fail, pass, warn, type CheckResult, type DoctorCheck } from './doctor-check.js';
import { doctorStatementsFor } from './doctor-sql.js';

/** The first check of every doctor: without an answer, the database checks after it are skipped. */
export function databaseAnswersCheck(db: Database, settings: DatabaseSettings): DoctorCheck {
  return {
    name: 'database answers',
    opens: 'database',
    async run() {
      const started = Date.now();
      try {
        const row = (await db.query<{ database_name: string }>(DATABASE_PROBE[db.dialect])).rows[0];
        return pass(`${row?.database_name ?? '?'} on ${describeDatabase(settings)} answered in ${Date.now() - started} ms`);
      } catch (error) {
        return fail(
          `${describeDatabase(settings)} did not answer: ${describeDriverError(error, 300)}`,
          'check DB_HOST/DB_PORT (or DB_URL), DB_USER/DB_PASSWORD, DB_NAME, that TCP/IP is enabled and the firewall lets the port through, and DB_TRUST_SERVER_CERTIFICATE for a self-signed SQL Server certificate',
        );
      }
    },
  };
}

/** The check every process makes at start (core's checkDatabaseAtStart): a database it could not run on. */
export function compatibilityCheck(db: Database, settings: DatabaseSettings): DoctorCheck {
  return {
    name: 'compatibility level',
    needs: 'database',
    async run() {
      try {
        const identity = await checkDatabaseAtStart(db, settings);
        const what = db.dialect === 'mssql' ? `compatibility level ${identity.level}` : `PostgreSQL ${Math.floor(identity.level / 10_000)}`;
        return pass(`${identity.database}: ${what}`);
      } catch (error) {
        if (error instanceof ConfigError) {
          const [problem, fix] = error.message.replace(/^DB_NAME: /, '').split('. Fix: ');
          return fail(problem ?? error.message, fix ?? 'see the message');
        }
        throw error;
      }
    },
  };
}

/**
 * A table or routine of the project's own schema as the daemons name it in SQL: dbo on SQL Server, the connection's
 * schema on PostgreSQL.
 */
export function syncObjectName(dialect: Database['dialect'], name: string): string {
  return dialect === 'mssql' ? quoteQualifiedName('mssql', 'dbo', name) : quoteQualifiedName('postgres', null, name);
}

/** What one daemon does to one object. Names as the daemon writes them in SQL (quoted, schema-qualified or not). */
export interface PermissionNeed {
  kind: 'table' | 'routine';
  /** Quoted for the dialect (core's quoteQualifiedName), e.g. [dbo].[sync_outbox] or "sync_outbox". */
  name: string;
  permissions: readonly string[];
  /** Shown in the line: which part of the daemon needs it. */
  why: string;
}

interface PermissionRow {
  name: string;
  permission: string;
  found: number | boolean;
  granted: number | boolean | null;
}

/**
 * Every permission the daemon needs, one line per object: HAS_PERMS_BY_NAME on SQL Server, has_table_privilege /
 * has_function_privilege on PostgreSQL. A missing object fails here too, naming what creates it.
 */
export function permissionsCheck(db: Database, needs: () => Promise<readonly PermissionNeed[]> | readonly PermissionNeed[], missingFix: string): DoctorCheck {
  return {
    name: 'permissions',
    needs: 'database',
    async run() {
      const wanted = await needs();
      const items = wanted.flatMap((need) => need.permissions.map((permission) => ({ kind: need.kind, name: need.name, permission })));
      if (items.length === 0) return pass('nothing to check');
      const { rows } = await db.query<PermissionRow>(doctorStatementsFor(db.dialect).permissions, [JSON.stringify(items)]);
      const results: CheckResult[] = [];
      for (const need of wanted) {
        const mine = rows.filter((row) => row.name === need.name);
        const shown = displayName(need.name);
        if (mine.length > 0 && mine.every((row) => !truthy(row.found))) {
          results.push(fail(`${shown} does not exist (${need.why})`, missingFix, shown));
          continue;
        }
        const missing = mine.filter((row) => !truthy(row.granted)).map((row) => row.permission);
        if (missing.length > 0) results.push(fail(`${missing.join(', ')} not granted to this login (${need.why})`, grantFix(db.dialect, need, missing), shown));
      }
      // Only what is wrong gets a line of its own; everything granted is one line.
      if (results.length === 0) return pass(`every permission granted on ${new Set(wanted.map((need) => need.name)).size} object(s): ${[...new Set(wanted.map((need) => displayName(need.name)))].join(", ")}`);
      return results;
    },
  };
}

/** With DB_SCHEMA_AUTO_APPLY=true the process creates and alters its objects at start; a release's new scripts need it. */
export function schemaChangesCheck(db: Database, autoApply: boolean): DoctorCheck {
  return {
    name: 'schema changes',
    needs: 'database',
    async run() {
      const row = (await db.query<{ create_objects: number | string }>(doctorStatementsFor(db.dialect).schemaChanges)).rows[0];
      const allowed = Number(row?.create_objects ?? 0) === 1;
      if (!autoApply) return pass(`DB_SCHEMA_AUTO_APPLY=false: a DBA applies the scripts of each release by hand${allowed ? '' : ' (this login may not)'}`);
      if (allowed) return pass('DB_SCHEMA_AUTO_APPLY=true and this login may create and alter the sync objects');
      return warn(
        'DB_SCHEMA_AUTO_APPLY=true, but this login may not create or alter objects: the next release\'s new schema scripts will fail at start',
        db.dialect === 'mssql'
          ? 'ALTER ROLE db_owner ADD MEMBER <user>; or set DB_SCHEMA_AUTO_APPLY=false and have a DBA apply common/mssql/<role>/ by hand'
          : 'GRANT CREATE ON SCHEMA <schema> TO <user> (and make it the owner of the sync objects); or set DB_SCHEMA_AUTO_APPLY=false',
      );
    },
  };
}

interface CollationRow {
  table_name: string;
  column_name: string;
  collation_name: string;
  insensitive: number | string;
}

/**
 * Text key columns of the given tables compared case- or accent-insensitively: 'ABC' and 'abc' (or 'José' and
 * 'Jose') are then one key, so two central rows would land on one local row. A warning, not a failure: it only
 * bites when the central side holds such keys.
 */
export function keyCollationsCheck(db: Database, tables: () => Promise<readonly string[]> | readonly string[], side: string): DoctorCheck {
  return {
    name: 'key collations',
    needs: 'database',
    async run() {
      const names = await tables();
      if (names.length === 0) return pass('no tables to check');
      const { rows } = await db.query<CollationRow>(doctorStatementsFor(db.dialect).keyCollations, [JSON.stringify(names)]);
      const loose = rows.filter((row) => Number(row.insensitive) === 1);
      if (loose.length === 0) return pass(`the text key columns of the ${side} (${rows.length}) compare exactly`);
      return loose.map((row) =>
        warn(
          `key column ${row.column_name} uses ${row.collation_name}, which compares case- or accent-insensitively: keys that differ only so would merge into one row`,
          db.dialect === 'mssql'
            ? `if central keys can differ only by case or accents, give the column a case- and accent-sensitive collation (e.g. ALTER TABLE ... ALTER COLUMN ${row.column_name} ... COLLATE Latin1_General_100_CS_AS, rebuilding its key)`
            : `give the column a deterministic collation (e.g. "C") if central keys can differ only by case or accents`,
          `${row.table_name}.${row.column_name}`,
        ),
      );
    },
  };
}

/** [dbo].[sync_outbox] -> dbo.sync_outbox, "sync_outbox" -> sync_outbox: for people, not for SQL. */
function displayName(quoted: string): string {
  return quoted.replace(/\[((?:[^\]]|\]\])*)\]/g, (_m, name: string) => name.replaceAll(']]', ']')).replace(/"((?:[^"]|"")*)"/g, (_m, name: string) => name.replaceAll('""', '"'));
}

function truthy(value: number | boolean | string | null): boolean {
  return value === true || value === 1 || value === '1';
}

function grantFix(dialect: Database['dialect'], need: PermissionNeed, missing: readonly string[]): string {
  if (need.kind === 'routine') {
    return dialect === 'mssql' ? `GRANT EXECUTE ON ${need.name} TO <user>` : `GRANT EXECUTE ON FUNCTION ${need.name} TO <user> (or ON PROCEDURE)`;
  }
  const grantable = missing.filter((permission) => permission !== 'VIEW CHANGE TRACKING');
  const grants = [grantable.length > 0 ? `GRANT ${grantable.join(', ')} ON ${need.name} TO <user>` : null, missing.includes('VIEW CHANGE TRACKING') ? `GRANT VIEW CHANGE TRACKING ON ${need.name} TO <user>` : null];
  return grants.filter((grant) => grant !== null).join('; ');
}

/** Which of the given tables (quoted names) exist, as the daemon would resolve them. */
export async function existingTables(db: Database, names: readonly string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const items = names.map((name) => ({ kind: 'table', name, permission: 'SELECT' }));
  const { rows } = await db.query<PermissionRow>(doctorStatementsFor(db.dialect).permissions, [JSON.stringify(items)]);
  return new Set(rows.filter((row) => truthy(row.found)).map((row) => row.name));
}
