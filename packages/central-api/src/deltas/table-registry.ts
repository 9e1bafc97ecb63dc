import type { Database } from '@goldpdv/core';
import type { CentralLogger } from '../logger.js';
import type { DeltaStore } from './db/delta-store.js';
import type { ServedTablesDeclaration } from './declaration/served-tables-declaration.js';
import type { PausedTable, ServedTable } from './served-table.js';
import { checkServedTables, type ServedTablesCheck } from './served-tables-check.js';
import { TablePausedError } from './table-paused-error.js';
import { UnknownTableError } from './unknown-table-error.js';

/**
 * Which of the declared tables (SERVED_TABLES_FILE) are served now, with their keys, column types, filters and
 * dependency order, and which are paused and why. The catalog is read again after a short time: replicas share
 * nothing but the database, and a table whose tracking is turned on or off, or whose declared column is dropped,
 * must show up, or pause, without a restart.
 */
export interface TableRegistry {
  /** Served tables, parents first. */
  list(): Promise<ServedTable[]>;
  /** The served table, or the paused one with its reason, or undefined when nothing of that name is declared. */
  get(name: string): Promise<ServedTable | PausedTable | undefined>;
}

export interface TableRegistryOptions {
  db: Database;
  store: DeltaStore;
  declaration: ServedTablesDeclaration;
  ttlMs: number;
  logger: CentralLogger;
}

export const isPaused = (table: ServedTable | PausedTable): table is PausedTable => 'reason' in table;

/** Reads the catalog and checks the declaration against it (also what `doctor` reports). */
export async function readServedTables(db: Database, store: DeltaStore, declaration: ServedTablesDeclaration): Promise<ServedTablesCheck> {
  const catalog = await store.readCatalog(db, declaration.tables.map((table) => table.source));
  return checkServedTables(declaration, catalog, { dialect: db.dialect, describeColumn: (column) => store.describeColumn(column) });
}

export function createTableRegistry(options: TableRegistryOptions): TableRegistry {
  let cached: { check: ServedTablesCheck; expiresAt: number } | undefined;
  let loading: Promise<ServedTablesCheck> | undefined;
  // A problem is logged when it appears, not on every refresh of a table that stays paused.
  let reported = new Set<string>();

  const report = (check: ServedTablesCheck): void => {
    const now = new Set<string>();
    for (const { table, source, problem } of check.problems) {
      const line = JSON.stringify([table, problem]);
      now.add(line);
      if (!reported.has(line)) options.logger.error({ table, source, problem, file: options.declaration.file }, `declared table ${table} is not served: ${problem}`);
    }
    for (const line of reported) {
      const [table] = JSON.parse(line) as [string];
      if (!now.has(line) && check.served.some((served) => served.name === table)) options.logger.info({ table }, `declared table ${table} is served again`);
    }
    if (check.cyclic.length > 0 && !cached) options.logger.warn({ tables: check.cyclic }, 'foreign keys form a cycle; these tables come last');
    reported = now;
  };

  const load = (): Promise<ServedTablesCheck> => {
    if (cached && cached.expiresAt > Date.now()) return Promise.resolve(cached.check);
    // Concurrent requests share one catalog read; a failed read is not cached.
    loading ??= (async () => {
      try {
        const check = await readServedTables(options.db, options.store, options.declaration);
        report(check);
        cached = { check, expiresAt: Date.now() + options.ttlMs };
        return check;
      } finally {
        loading = undefined;
      }
    })();
    return loading;
  };

  return {
    list: async () => (await load()).served,
    async get(name) {
      const check = await load();
      return check.served.find((table) => table.name === name) ?? check.paused.find((table) => table.name === name);
    },
  };
}

/** The served table of that name; a paused one is refused with its reason (409), an unknown one with 404. */
export async function servedTableNamed(registry: TableRegistry, name: string): Promise<ServedTable> {
  const table = await registry.get(name);
  if (table === undefined) throw new UnknownTableError(name);
  if (isPaused(table)) throw new TablePausedError(table.name, table.reason);
  return table;
}
