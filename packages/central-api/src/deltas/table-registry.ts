import type { Database } from '@goldpdv/core';
import type { CentralLogger } from '../logger.js';
import type { DeltaDialect } from './delta-dialect.js';
import type { RowFilter } from './row-filters.js';
import type { Catalog, ServedColumn, ServedTable } from './served-table.js';
import { isIdentifier } from './sql-identifiers.js';
import { orderByDependencies } from './table-order.js';

/**
 * Which tables are served, with their keys, column types, filters and dependency order. Everything is read
 * from the database catalog, and only cached for a short time: replicas share nothing but the database, and a
 * table whose tracking is turned on or off must show up (or go) without a restart.
 */
export interface TableRegistry {
  /** Served tables, parents first. */
  list(): Promise<ServedTable[]>;
  get(name: string): Promise<ServedTable | undefined>;
}

export interface TableRegistryOptions {
  db: Database;
  dialect: DeltaDialect;
  filters: readonly RowFilter[];
  ttlMs: number;
  logger: CentralLogger;
}

export function createTableRegistry(options: TableRegistryOptions): TableRegistry {
  let cached: { tables: ServedTable[]; expiresAt: number } | undefined;
  let loading: Promise<ServedTable[]> | undefined;

  const load = (): Promise<ServedTable[]> => {
    if (cached && cached.expiresAt > Date.now()) return Promise.resolve(cached.tables);
    // Concurrent requests share one catalog read; a failed read is not cached.
    loading ??= (async () => {
      try {
        const tables = buildServedTables(await options.dialect.readCatalog(options.db), options);
        cached = { tables, expiresAt: Date.now() + options.ttlMs };
        return tables;
      } finally {
        loading = undefined;
      }
    })();
    return loading;
  };

  return {
    list: load,
    async get(name) {
      return (await load()).find((table) => table.name === name);
    },
  };
}

/**
 * A table is left out, loudly, when it cannot be served exactly: a name that is not a plain identifier, a
 * column type with no exact wire form, or a configured filter column it does not have. Serving such a table
 * unfiltered would hand one loja's rows to every other loja, so failing closed is the only safe choice.
 */
export function buildServedTables(catalog: Catalog, options: Pick<TableRegistryOptions, 'dialect' | 'filters' | 'logger'>): ServedTable[] {
  const served = new Map<string, ServedTable>();
  for (const { name, keyColumns } of catalog.tables) {
    const skip = (reason: string): void => options.logger.error({ table: name, reason }, 'table is tracked but not served');
    const catalogColumns = catalog.columns.filter((column) => column.table === name);
    if (!isIdentifier(name)) { skip('its name is not a plain lowercase identifier'); continue; }
    const odd = catalogColumns.find((column) => !isIdentifier(column.name));
    if (odd) { skip(`column ${JSON.stringify(odd.name)} is not a plain lowercase identifier`); continue; }
    const columns: ServedColumn[] = [];
    for (const column of catalogColumns) {
      const described = options.dialect.describeColumn(column);
      if (described === null) { skip(`column ${column.name} has type ${column.dataType}, which cannot travel exactly`); break; }
      columns.push(described);
    }
    if (columns.length !== catalogColumns.length) continue;
    const keys = keyColumns.map((key) => columns.find((column) => column.name === key));
    if (keyColumns.length === 0 || keys.some((key) => key === undefined || key.type === 'binary')) {
      skip('its key columns are missing or binary'); continue;
    }
    const filterColumn = options.filters.find((filter) => filter.table === name)?.column;
    if (filterColumn !== undefined && !columns.some((column) => column.name === filterColumn)) {
      skip(`ROW_FILTERS names ${name}.${filterColumn}, which does not exist`); continue;
    }
    served.set(name, {
      name,
      keyColumns: [...keyColumns],
      keys: keys as ServedColumn[],
      columns,
      filter: filterColumn === undefined ? null : { column: filterColumn, inKey: keyColumns.includes(filterColumn) },
    });
  }
  for (const filter of options.filters) {
    if (!catalog.tables.some((table) => table.name === filter.table)) {
      options.logger.warn({ table: filter.table }, 'ROW_FILTERS names a table that is not tracked');
    }
  }
  const order = orderByDependencies([...served.keys()], catalog.foreignKeys);
  if (order.cyclic.length > 0) options.logger.warn({ tables: order.cyclic }, 'foreign keys form a cycle; these tables come last');
  return order.ordered.map((name) => served.get(name)!);
}
