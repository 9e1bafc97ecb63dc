import {
  centralChecks,
  centralTargetOf,
  compatibilityCheck,
  ConfigError,
  databaseAnswersCheck,
  fail,
  keyCollationsCheck,
  pass,
  quoteQualifiedName,
  permissionsCheck,
  schemaChangesCheck,
  syncObjectName,
  skip,
  tablesResponseSchema,
  type CheckResult,
  type DaemonEnv,
  type Database,
  type DatabaseSettings,
  type DoctorCheck,
  type PermissionNeed,
} from '@goldpdv/core';
import type { z } from 'zod';
import type { pullEnv } from '../config.js';
import { pullStoresFor } from '../db/pull-stores.js';
import { loadTableMapping } from '../plan/table-mapping.js';
import { buildSyncPlan, type SyncPlan, type TablePlan } from '../plan/table-plan.js';

type PullConfig = DaemonEnv & z.infer<z.ZodObject<typeof pullEnv>>;

/** The mapping checked against the local catalog, as the daemon does at its first cycle; or why it cannot be. */
type PlanReading = { kind: 'plan'; plan: SyncPlan; file: string } | { kind: 'unreadable'; message: string };

/**
 * `pull-service doctor`: the database, the mapping against the local tables (the daemon's own check), the
 * permissions and key collations of the pulled tables, the central API as pull-service reaches it, and whether
 * central serves each mapped table to this PDV.
 */
export function pullDoctorChecks(config: PullConfig, db: Database, settings: DatabaseSettings): DoctorCheck[] {
  const table = (name: string) => syncObjectName(db.dialect, name);
  // A pulled table as the apply statements name it: in its own schema.
  const pulled = (t: TablePlan) => quoteQualifiedName(db.dialect, t.local.schema ?? (db.dialect === 'mssql' ? 'dbo' : null), t.local.name);
  let reading: Promise<PlanReading> | undefined;
  const readPlan = () => (reading ??= planOf(config, db));
  const plannedTables = async () => {
    const result = await readPlan();
    return result.kind === 'plan' ? result.plan.tables : [];
  };
  const central = centralChecks({
    db,
    pdvId: config.PDV_ID,
    target: centralTargetOf(config, { connectTimeoutMs: config.PULL_CONNECT_TIMEOUT_MS, responseTimeoutMs: config.PULL_RESPONSE_TIMEOUT_MS }),
  });

  return [
    databaseAnswersCheck(db, settings),
    compatibilityCheck(db, settings),
    {
      name: 'table mapping',
      needs: 'database',
      async run() {
        const result = await readPlan();
        if (result.kind === 'unreadable') return fail(result.message, 'correct the mapping file (PULL_TABLES_FILE), mounted in /etc/goldpdv');
        const { plan, file } = result;
        const lines: CheckResult[] = plan.problems.map((problem) => fail(problem.message, 'create or correct the local table, or correct its entry in the mapping file; the other tables are still pulled', problem.table));
        if (plan.tables.length > 0) lines.unshift(pass(`${plan.tables.length} table(s) of ${file} match the local database: ${plan.tables.map((t) => t.table).join(', ')}`));
        if (plan.orderWarning) lines.push(fail(plan.orderWarning, 'make dependsOn agree with the local foreign keys'));
        return lines;
      },
    },
    permissionsCheck(
      db,
      async () => [
        ...(await plannedTables()).map((t): PermissionNeed => ({ kind: 'table', name: pulled(t), permissions: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'], why: `pages of ${t.table}` })),
        { kind: 'table', name: table('sync_checkpoint'), permissions: ['SELECT', 'INSERT', 'UPDATE'], why: 'checkpoints' },
        { kind: 'table', name: table('sync_rejected_row'), permissions: ['SELECT', 'INSERT'], why: 'rejected rows' },
      ],
      `start pull-service once with DB_SCHEMA_AUTO_APPLY=true, or apply common/${db.dialect}/pdv/ by hand (docs/operators-guide.md 1.2)`,
    ),
    schemaChangesCheck(db, config.DB_SCHEMA_AUTO_APPLY),
    keyCollationsCheck(db, async () => (await plannedTables()).map(pulled), 'pulled tables'),
    ...central.checks,
    {
      name: 'served tables',
      needs: 'central',
      async run() {
        const answer = await central.tables();
        if (answer.kind !== 'answered' || answer.response.status !== 200) return skip('GET /v1/tables did not answer 200 (see the lines above)');
        const parsed = tablesResponseSchema.safeParse(safeJson(answer.response.body));
        if (!parsed.success) return fail('GET /v1/tables answered something else than the table list', 'check that CENTRAL_API_URL reaches central-api itself');
        const offered = new Map(parsed.data.tables.map((t) => [t.table, t]));
        const planned = await plannedTables();
        if (planned.length === 0) return skip('no mapped table to compare (see the table mapping line)');
        const results: CheckResult[] = [];
        const served: string[] = [];
        for (const t of planned) {
          const entry = offered.get(t.table);
          const mappedKey = t.keyColumns.map((c) => c.central);
          if (!entry) results.push(fail(`central does not serve ${t.table} to this PDV: it is not tracked centrally, or not pullable`, 'on the VPS: central-api doctor (change tracking lines); or remove the table from the mapping', t.table));
          else if ([...entry.keyColumns].sort().join(',') !== [...mappedKey].sort().join(',')) {
            results.push(fail(`the central key is (${entry.keyColumns.join(', ')}), the mapped key is (${mappedKey.join(', ')})`, 'make keyColumns in the mapping match the central primary key', t.table));
          } else served.push(entry.filtered ? `${t.table} (filtered to this PDV's loja)` : t.table);
        }
        if (served.length > 0) results.unshift(pass(`${served.length} mapped table(s) served with matching keys: ${served.join(', ')}`));
        return results;
      },
    },
  ];
}

async function planOf(config: PullConfig, db: Database): Promise<PlanReading> {
  let mapping;
  try {
    mapping = loadTableMapping(config.PULL_TABLES_FILE);
  } catch (error) {
    if (error instanceof ConfigError) return { kind: 'unreadable', message: error.message };
    throw error;
  }
  const schema = await pullStoresFor(db.dialect).localSchema.read(db, mapping.tables.map((t) => t.local));
  return { kind: 'plan', plan: buildSyncPlan(mapping, schema, config.PULL_PAGE_SIZE), file: mapping.file };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
