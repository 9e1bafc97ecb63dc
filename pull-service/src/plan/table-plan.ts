import { dependencyOrder } from './dependency-order.js';
import { identifierProblem } from '@goldpdv/core';
import type { LocalColumn, LocalSchema, LocalTable } from '../db/local-schema.js';
import { displayLocalName, type LocalName } from './local-name.js';
import type { MappingFile, TableMapping } from './table-mapping.js';
import { valueFits } from './value-checks.js';

/** One column as pulled: its central name and the local column it fills. */
export interface ColumnPlan {
  central: string;
  local: LocalColumn;
}

/** A local foreign key that refers to a pulled table, in local names. */
export interface ChildLink {
  childTable: LocalName;
  childColumns: readonly string[];
  parentColumns: readonly string[];
}

/** Everything needed to apply a table's pages: the mapping checked against the local catalog. */
/**
 * A local column an INSERT must fill when no central column does: a NOT NULL column without a default of its own
 * (constant null unless the mapping gives one), or any column the mapping gives a constant.
 */
export interface RequiredColumn {
  local: LocalColumn;
  constant: string | number | boolean | null;
}

export interface TablePlan {
  table: string;
  /** For messages and as the table's key among local tables: name, or schema.name outside the default schema. */
  localTable: string;
  /** Schema and name as the catalog spells them; schema null in the default schema (statements then name none). */
  local: LocalName;
  /** Local columns that an INSERT cannot leave out, or that the mapping gives a constant: see RequiredColumn. */
  required: readonly RequiredColumn[];
  /** By central name: every local column a page may fill (renames applied). */
  columns: ReadonlyMap<string, ColumnPlan>;
  /** In the order of the local primary key. */
  keyColumns: readonly ColumnPlan[];
  pageSize: number;
  /** Central names of the pulled tables this one refers to (dependsOn and local foreign keys). */
  parents: readonly string[];
}

export interface PlanProblem {
  table: string;
  message: string;
}

export interface SyncPlan {
  /** Tables that can be pulled, parents first. */
  tables: readonly TablePlan[];
  /** Tables that cannot be pulled, with the reason, found before any row moves. */
  problems: readonly PlanProblem[];
  /** Local foreign keys referring to a pulled table (by its local name): a row they refer to is not deleted yet. */
  referencesTo(localTable: string): readonly ChildLink[];
  /** Set when local foreign keys contradict dependsOn; the file's order is used. */
  orderWarning: string | null;
}

/**
 * Checks the mapping file against the local database (tables, columns, renames, keys) and works out the
 * order: dependsOn plus the local foreign keys between pulled tables. A table with a problem is left out and
 * reported; the others are still pulled.
 */
export function buildSyncPlan(mapping: MappingFile, schema: LocalSchema, defaultPageSize: number): SyncPlan {
  const problems: PlanProblem[] = [];
  const planned = new Map<string, TablePlan>();
  for (const entry of mapping.tables) {
    const local = findTable(schema, entry.local);
    if (!local) {
      problems.push({ table: entry.table, message: `local table "${entry.localTable}" not found in the database (${mapping.file})` });
      continue;
    }
    const result = planTable(entry, local, schema.defaultSchema, defaultPageSize, mapping.file);
    if (typeof result === 'string') problems.push({ table: entry.table, message: result });
    else planned.set(entry.table, result);
  }

  const inDefault = (name: LocalName): LocalName => ({ schema: name.schema === schema.defaultSchema ? null : name.schema, name: name.name });
  const keyOf = (name: LocalName) => displayLocalName(inDefault(name)).toLowerCase();
  const centralOf = new Map([...planned.values()].map((plan) => [keyOf(plan.local), plan.table]));
  const references = new Map<string, ChildLink[]>();
  const fkParents = new Map<string, Set<string>>();
  for (const key of schema.foreignKeys) {
    const parent = centralOf.get(keyOf(key.parentTable));
    if (parent === undefined) continue;
    // Every referring table counts for deletes, pulled or not (a local-only table may refer to a pulled one).
    const parentLocal = planned.get(parent)!.localTable;
    references.set(parentLocal, [...(references.get(parentLocal) ?? []), { childTable: inDefault(key.childTable), childColumns: key.childColumns, parentColumns: key.parentColumns }]);
    const child = centralOf.get(keyOf(key.childTable));
    if (child !== undefined && child !== parent) fkParents.set(child, (fkParents.get(child) ?? new Set()).add(parent));
  }

  const names = [...planned.keys()];
  const withKeys = (table: string) => [...new Set([...planned.get(table)!.parents, ...(fkParents.get(table) ?? [])])];
  const ordered = dependencyOrder(names, withKeys);
  let orderWarning: string | null = null;
  let tables: TablePlan[];
  if (ordered.order === null) {
    orderWarning = `local foreign keys between ${ordered.cycle.join(', ')} form a cycle with dependsOn; the order of ${mapping.file} is used`;
    tables = names.map((name) => planned.get(name)!);
  } else {
    tables = ordered.order.map((name) => ({ ...planned.get(name)!, parents: withKeys(name).filter((p) => planned.has(p)) }));
  }
  return { tables, problems, referencesTo: (localTable) => references.get(localTable) ?? [], orderWarning };
}

function planTable(entry: TableMapping, local: LocalTable, defaultSchema: string, defaultPageSize: number, file: string): TablePlan | string {
  const where = `${file}, table "${entry.table}"`;
  const renamedTo = new Map([...entry.renames].map(([central, localName]) => [localName, central]));
  const columns = new Map<string, ColumnPlan>();
  for (const [localName, central] of renamedTo) {
    const column = local.columns.get(localName);
    if (!column) return `column "${central}" is renamed to "${localName}", but local table "${local.name}" has no such column (${where})`;
  }
  for (const column of local.columns.values()) {
    // A column the database computes is never written; a name no SQL can quote is left to its default.
    if (column.generated || identifierProblem(column.name) !== null) continue;
    const central = renamedTo.get(column.name) ?? (entry.renames.has(column.name) ? null : column.name);
    if (central !== null) columns.set(central, { central, local: column });
  }
  if (local.primaryKey.length === 0) return `local table "${local.name}" has no primary key; rows cannot be matched (${where})`;
  const localKey = local.primaryKey.map((name) => [...columns.values()].find((column) => column.local.name === name));
  if (localKey.some((column) => column === undefined)) return `the primary key of "${local.name}" includes a column no central column maps to (${where})`;
  const keyColumns = localKey as ColumnPlan[];
  if (entry.keyColumns) {
    const unknown = entry.keyColumns.find((name) => !columns.has(name));
    if (unknown) return `key column "${unknown}" is not a column of local table "${local.name}" (${where})`;
    const declared = new Set(entry.keyColumns);
    if (declared.size !== keyColumns.length || keyColumns.some((column) => !declared.has(column.central))) {
      return `keyColumns ${entry.keyColumns.join(', ')} do not match the primary key of "${local.name}" (${keyColumns.map((c) => c.central).join(', ')}) (${where})`;
    }
  }
  const unsupported = keyColumns.find((column) => !canBeKey(column.local));
  if (unsupported) return `key column "${unsupported.central}" has the local type ${unsupported.local.dataType}, which cannot be a pulled key (${where})`;
  const required: RequiredColumn[] = [];
  for (const [name, value] of entry.constants) {
    const column = local.columns.get(name);
    if (!column) return `constants: local table "${local.name}" has no column "${name}" (${where})`;
    if (column.generated) return `constants: local column "${name}" is computed by the database and cannot take a constant (${where})`;
    if (!valueFits(column, value)) return `constants: the value ${JSON.stringify(value)} does not fit local column "${name}" (${column.dataType}) (${where})`;
  }
  for (const column of local.columns.values()) {
    // A constant the mapping gives is used even over the column's own default: it is the adopter's explicit choice.
    const constant = entry.constants.get(column.name) ?? null;
    if (constant === null && (column.nullable || column.hasDefault || column.generated)) continue;
    required.push({ local: column, constant });
  }
  return {
    table: entry.table,
    localTable: local.schema === defaultSchema ? local.name : displayLocalName(local),
    local: { schema: local.schema === defaultSchema ? null : local.schema, name: local.name },
    required,
    columns,
    keyColumns,
    pageSize: entry.batchSize ?? defaultPageSize,
    parents: entry.dependsOn,
  };
}

/**
 * A key is compared and ordered as the server pages it: not binary, and not a json document (a string on the
 * wire that keeps a json cast locally).
 */
function canBeKey(column: LocalColumn): boolean {
  if (column.type === null || column.type === 'binary') return false;
  return !(column.type === 'string' && column.castType !== null);
}

function findTable(schema: LocalSchema, wanted: LocalName): LocalTable | undefined {
  const key = displayLocalName({ schema: wanted.schema ?? schema.defaultSchema, name: wanted.name });
  const exact = schema.tables.get(key);
  if (exact || !schema.namesIgnoreCase) return exact;
  return [...schema.tables.values()].find((table) => displayLocalName(table).toLowerCase() === key.toLowerCase());
}
