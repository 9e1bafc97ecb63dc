import type { DialectName, Queryable } from '@goldpdv/core';
import type { TableRef } from '../declaration/declaration-schema.js';
import { columnOf, sourceIdOf, type EventsModel } from '../declaration/events-model.js';
import * as mssql from './catalog-sql.mssql.js';
import * as postgres from './catalog-sql.postgres.js';
import { columnValue, supportedTypes } from './column-value.js';

const SQL: Record<DialectName, { declaredColumns: string }> = { mssql, postgres };

/** The key types of the declaration, as each catalog names them. */
const KEY_DATA_TYPES: Record<DialectName, Record<string, string>> = {
  mssql: { int: 'int', bigint: 'bigint', uniqueidentifier: 'uniqueidentifier' },
  postgres: { int: 'integer', bigint: 'bigint', uniqueidentifier: 'uuid' },
};

/** The data type of every column of the declared tables, as the local catalog says. */
export class ColumnCatalog {
  constructor(
    readonly dialect: DialectName,
    private readonly tables: ReadonlyMap<string, ReadonlyMap<string, string>>,
  ) {}

  hasTable(table: TableRef): boolean {
    return this.tables.has(tableKey(table));
  }

  /** SQL Server resolves names without case under the usual collations; PostgreSQL's quoted names are exact. */
  typeOf(table: TableRef, column: string): string | undefined {
    const columns = this.tables.get(tableKey(table));
    return columns?.get(this.dialect === 'mssql' ? column.toLowerCase() : column);
  }
}

const tableKey = (table: TableRef) => sourceIdOf(table);

export async function readColumnCatalog(db: Queryable, model: EventsModel): Promise<ColumnCatalog> {
  const tables = declaredTables(model);
  const { rows } = await db.query<{ ord: number; column_name: string; data_type: string }>(SQL[db.dialect].declaredColumns, [
    JSON.stringify(tables.map((table, ord) => ({ ord, schema: table.schema ?? null, name: table.name }))),
  ]);
  const columns = new Map<string, Map<string, string>>();
  for (const row of rows) {
    const key = tableKey(tables[Number(row.ord)]!);
    const map = columns.get(key) ?? new Map<string, string>();
    map.set(db.dialect === 'mssql' ? row.column_name.toLowerCase() : row.column_name, row.data_type);
    columns.set(key, map);
  }
  return new ColumnCatalog(db.dialect, columns);
}

/** Every table the declaration reads, once each. */
function declaredTables(model: EventsModel): TableRef[] {
  const tables = new Map<string, TableRef>();
  for (const event of model.events) {
    for (const table of [event.source.table, ...event.lookups.map((l) => l.table), ...event.children.map((c) => c.table)]) tables.set(tableKey(table), table);
  }
  return [...tables.values()];
}

/**
 * What in the declaration does not fit this database, one line each: a table or column that is not there, a key
 * whose type is not the declared one, a payload column of a type payloads cannot carry. Empty when all is well.
 */
export function catalogProblems(model: EventsModel, catalog: ColumnCatalog): string[] {
  const problems: string[] = [];
  const missingTables = new Set<string>();
  const column = (where: string, table: TableRef, name: string, payload: boolean) => {
    if (!catalog.hasTable(table)) {
      if (!missingTables.has(tableKey(table))) problems.push(`${where}: no table ${tableKey(table)} in this database`);
      missingTables.add(tableKey(table));
      return;
    }
    const type = catalog.typeOf(table, name);
    if (type === undefined) problems.push(`${where}: ${tableKey(table)} has no column "${name}"`);
    else if (payload && columnValue(catalog.dialect, type, 'x') === null) {
      problems.push(`${where}: column "${name}" of ${tableKey(table)} is ${type}, which a payload cannot carry (supported: ${supportedTypes(catalog.dialect).join(', ')})`);
    }
  };
  model.events.forEach((event, index) => {
    const at = `events[${index}] (${event.type})`;
    const source = event.source.table;
    for (const key of event.source.key) {
      column(`${at} key`, source, key.column, false);
      const type = catalog.typeOf(source, key.column);
      if (type !== undefined && type.toLowerCase() !== KEY_DATA_TYPES[catalog.dialect][key.type]) {
        problems.push(`${at} key: column "${key.column}" of ${tableKey(source)} is ${type}, not ${key.type} as declared`);
      }
    }
    if (event.firing.kind === 'status') column(`${at} fires.column`, source, event.firing.column, false);
    const tableOf = (lookup: string | null) => (lookup === null ? source : event.lookups.find((l) => l.name === lookup)!.table);
    for (const lookup of event.lookups) {
      for (const [theirs, ours] of lookup.join) {
        column(`${at} lookups.${lookup.name}.join`, lookup.table, theirs, false);
        column(`${at} lookups.${lookup.name}.join`, source, ours, false);
      }
    }
    for (const field of event.fields) {
      const { lookup, column: name } = columnOf(field.column);
      column(`${at} fields.${field.name}`, tableOf(lookup), name, true);
    }
    if (event.stream.column !== null) {
      const { lookup, column: name } = columnOf(event.stream.column);
      column(`${at} stream.column`, tableOf(lookup), name, true);
    }
    for (const child of event.children) {
      for (const [theirs, ours] of child.join) {
        column(`${at} children.${child.field}.join`, child.table, theirs, false);
        column(`${at} children.${child.field}.join`, source, ours, false);
      }
      for (const name of child.orderBy) column(`${at} children.${child.field}.orderBy`, child.table, name, false);
      for (const field of child.fields) column(`${at} children.${child.field}.fields.${field.name}`, child.table, field.column, true);
    }
  });
  return problems;
}
