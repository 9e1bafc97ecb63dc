import { quoteQualifiedName, type DialectName } from '@goldpdv/core';
import type { DeclaredTable, ServedTablesDeclaration } from './declaration/served-tables-declaration.js';
import { showSourceTableName } from './declaration/source-name.js';
import { tableId } from './db/catalog-rows.js';
import type { Catalog, CatalogColumn, CatalogTable, PausedTable, ServedColumn, ServedTable } from './served-table.js';
import { orderByDependencies } from './table-order.js';

/** One reason a declared table cannot be served as declared. */
export interface ServedTableProblem {
  table: string;
  source: string;
  problem: string;
}

export interface ServedTablesCheck {
  /** Servable tables, parents first. */
  served: ServedTable[];
  /** Declared tables that are not served now, with the first of their problems. */
  paused: PausedTable[];
  /** Every problem found, one per line to log or report. */
  problems: ServedTableProblem[];
  /** Tables on a foreign-key cycle (they come last). */
  cyclic: string[];
}

export interface CheckOptions {
  dialect: DialectName;
  /** How a column travels, or null when its type cannot travel exactly. */
  describeColumn(column: CatalogColumn): ServedColumn | null;
}

/** The problems of one declared table against its catalog entry, or the served table when it has none. */
function checkTable(declared: DeclaredTable, found: CatalogTable | undefined, options: CheckOptions): { table: ServedTable } | { problems: string[] } {
  if (found === undefined) return { problems: ['table not found in the central database (names are compared exactly, case included)'] };
  if (found.untracked !== null) return { problems: [`not change-tracked: ${found.untracked}`] };
  const problems: string[] = [];
  const byName = new Map(found.columns.map((column) => [column.name, column]));
  const columns: ServedColumn[] = [];
  for (const { source, name } of declared.columns) {
    const column = byName.get(source);
    if (column === undefined) { problems.push(`declared column ${JSON.stringify(source)} does not exist`); continue; }
    const described = options.describeColumn(column);
    if (described === null) { problems.push(`column ${JSON.stringify(source)} has type ${column.dataType}, which cannot travel exactly`); continue; }
    columns.push({ ...described, name, source });
  }
  const keys = found.keyColumns.map((key) => columns.find((column) => column.source === key));
  found.keyColumns.forEach((key, index) => {
    if (!declared.columns.some((column) => column.source === key)) problems.push(`key column ${JSON.stringify(key)} is not declared (key columns must be served)`);
    else if (keys[index]?.type === 'binary') problems.push(`key column ${JSON.stringify(key)} is binary, which cannot key a page`);
  });
  if (found.keyColumns.length === 0) problems.push('it has no key columns');
  let filter: ServedTable['filter'] = null;
  if (declared.rowFilter !== null) {
    const column = byName.get(declared.rowFilter);
    const described = column === undefined ? null : options.describeColumn(column);
    if (column === undefined) problems.push(`filter column ${JSON.stringify(declared.rowFilter)} does not exist`);
    else if (described === null || (described.type !== 'int' && described.type !== 'bigint')) problems.push(`filter column ${JSON.stringify(declared.rowFilter)} has type ${column.dataType}; a loja id needs an integer column`);
    else filter = { column: declared.rowFilter, sqlType: described.sqlType, inKey: found.keyColumns.includes(declared.rowFilter) };
  }
  if (problems.length > 0) return { problems };
  return {
    table: {
      name: declared.table,
      sqlName: quoteQualifiedName(options.dialect, found.schema, found.name),
      trackingName: found.trackingName,
      keyColumns: keys.map((key) => key!.name),
      keys: keys as ServedColumn[],
      columns,
      filter,
    },
  };
}

/**
 * The declaration against the catalog: a table is served only when everything it declares is there and can
 * travel exactly. A table with a problem is paused (its requests are answered 409 table-paused) and every other
 * table goes on; serving it partly, or unfiltered, could hand a loja rows meant for another.
 */
export function checkServedTables(declaration: ServedTablesDeclaration, catalog: Catalog, options: CheckOptions): ServedTablesCheck {
  const byId = new Map(catalog.tables.map((table) => [tableId(table), table]));
  const served = new Map<string, ServedTable>();
  const paused: PausedTable[] = [];
  const problems: ServedTableProblem[] = [];
  const contractNames = new Map<string, string[]>();
  for (const declared of declaration.tables) {
    const ref = { schema: declared.source.schema ?? catalog.defaultSchema, name: declared.source.name };
    const outcome = checkTable(declared, byId.get(tableId(ref)), options);
    if ('table' in outcome) {
      served.set(declared.table, outcome.table);
      contractNames.set(tableId(ref), [...(contractNames.get(tableId(ref)) ?? []), declared.table]);
      continue;
    }
    const source = showSourceTableName(ref);
    for (const problem of outcome.problems) problems.push({ table: declared.table, source, problem });
    paused.push({ name: declared.table, reason: `${source}: ${outcome.problems.join('; ')}` });
  }
  const namesOf = (ref: { schema: string; name: string }) => contractNames.get(tableId(ref)) ?? [];
  const foreignKeys = catalog.foreignKeys.flatMap((fk) => namesOf(fk.child).flatMap((child) => namesOf(fk.parent).map((parent) => ({ child, parent }))));
  const order = orderByDependencies([...served.keys()], foreignKeys);
  return { served: order.ordered.map((name) => served.get(name)!), paused, problems, cyclic: order.cyclic };
}
