import type { Database } from '../db/types.js';
import { fail, pass, type CheckResult, type DoctorCheck } from './doctor-check.js';
import { doctorStatementsFor } from './doctor-sql.js';

/** A trigger the sync layer installs on a table: table and trigger as the catalog names them (unquoted). */
export interface ExpectedTrigger {
  table: string;
  trigger: string;
}

interface TriggerRow {
  schema_name: string;
  table_name: string;
  trigger_name: string;
  disabled: number | string;
}

export interface TriggersCheckOptions {
  /** The triggers that must exist and be enabled (on tables that exist). */
  expected: () => Promise<readonly ExpectedTrigger[]> | readonly ExpectedTrigger[];
  /** Every trigger whose name starts with this belongs to the sync layer and must be enabled, expected or not. */
  ownedPrefix: string;
  /** What installs them, for the fix. */
  installFix: string;
}

/**
 * The triggers that feed the outbox exist and fire (sys.triggers.is_disabled on SQL Server; pg_trigger.tgenabled
 * on PostgreSQL). A disabled trigger loses every sale it should have captured, silently: this is a failure.
 */
export function triggersCheck(db: Database, options: TriggersCheckOptions): DoctorCheck {
  return {
    name: 'outbox triggers',
    needs: 'database',
    async run() {
      const expected = await options.expected();
      const rows = (await db.query<TriggerRow>(doctorStatementsFor(db.dialect).triggers)).rows;
      const same = (a: string, b: string) => (db.dialect === 'mssql' ? a.toLowerCase() === b.toLowerCase() : a === b);
      const results: CheckResult[] = [];
      const firing: string[] = [];
      const reported = new Set<TriggerRow>();
      for (const want of expected) {
        const row = rows.find((r) => same(r.trigger_name, want.trigger) && same(r.table_name, want.table));
        if (!row) {
          results.push(fail(`trigger ${want.trigger} is missing on ${want.table}: sales written there never reach the outbox`, options.installFix, `${want.table}.${want.trigger}`));
          continue;
        }
        reported.add(row);
        if (Number(row.disabled) === 1) results.push(disabled(db, row));
        else firing.push(`${row.table_name}.${row.trigger_name}`);
      }
      const owned = rows.filter((row) => !reported.has(row) && row.trigger_name.toLowerCase().startsWith(options.ownedPrefix.toLowerCase()));
      for (const row of owned) {
        if (Number(row.disabled) === 1) results.push(disabled(db, row));
        else firing.push(`${row.table_name}.${row.trigger_name}`);
      }
      if (results.length === 0 && firing.length === 0) {
        return fail(`no trigger named ${options.ownedPrefix}* in this database: no sale reaches the outbox unless the POS writes it itself`, options.installFix);
      }
      if (firing.length > 0) results.unshift(pass(`${firing.length} installed and enabled: ${firing.join(', ')}`));
      return results;
    },
  };
}

function disabled(db: Database, row: TriggerRow): CheckResult {
  const qualified = `${row.schema_name}.${row.table_name}`;
  return fail(
    'installed but DISABLED: every sale since it was disabled is missing from the outbox',
    db.dialect === 'mssql'
      ? `ENABLE TRIGGER ${row.trigger_name} ON ${qualified}; then look for the sales it missed (reconciliation)`
      : `ALTER TABLE ${qualified} ENABLE TRIGGER ${row.trigger_name}; then look for the sales it missed (reconciliation)`,
    `${row.table_name}.${row.trigger_name}`,
  );
}
