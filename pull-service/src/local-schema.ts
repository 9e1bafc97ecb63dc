import type { Queryable } from '@goldpdv/core';
import * as postgres from './local-schema.postgres.js';
import * as mssql from './local-schema.mssql.js';

/** How a value travels from the wire to a column: decides the cast, the base64 decoding and the checks. */
export type ValueFamily = 'int' | 'decimal' | 'float' | 'string' | 'bool' | 'date' | 'time' | 'timestamp' | 'timestamptz' | 'uuid' | 'binary' | 'json';

export interface LocalColumn {
  name: string;
  /** As the catalog spells it, e.g. "character varying", "numeric", "datetime2". */
  dataType: string;
  /** null: a type pull-service cannot fill (arrays, user-defined types...). */
  family: ValueFamily | null;
  /** SQL type a text value is cast to; null for text columns (the INSERT's own assignment checks their length) and binary. */
  castType: string | null;
  /** Characters for text columns; null when unbounded or not text. */
  maxLength: number | null;
  precision: number | null;
  scale: number | null;
  nullable: boolean;
}

export interface LocalTable {
  name: string;
  columns: ReadonlyMap<string, LocalColumn>;
  primaryKey: readonly string[];
}

export interface LocalForeignKey {
  name: string;
  childTable: string;
  childColumns: readonly string[];
  parentTable: string;
  parentColumns: readonly string[];
}

export interface LocalSchema {
  tables: ReadonlyMap<string, LocalTable>;
  /** Foreign keys whose parent is one of the tables asked for. */
  foreignKeys: readonly LocalForeignKey[];
}

export interface CatalogColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
  character_maximum_length: number | string | null;
  numeric_precision: number | string | null;
  numeric_scale: number | string | null;
  datetime_precision: number | string | null;
  is_nullable: string;
}

interface KeyRow {
  table_name: string;
  column_name: string;
}

interface ForeignKeyRow {
  constraint_name: string;
  child_table: string;
  child_column: string;
  parent_table: string;
  parent_column: string;
}

const DIALECT = { postgres, mssql } as const;

/** Reads, from the database's own catalog, what the mapping needs to know about the given local tables. */
export async function readLocalSchema(db: Queryable, tableNames: readonly string[]): Promise<LocalSchema> {
  const dialect = DIALECT[db.dialect];
  const names = JSON.stringify(tableNames);
  const columns = await db.query<CatalogColumnRow>(dialect.columnsSql, [names]);
  const keys = await db.query<KeyRow>(dialect.primaryKeysSql, [names]);
  const foreign = await db.query<ForeignKeyRow>(dialect.foreignKeysSql, [names]);

  const tables = new Map<string, { name: string; columns: Map<string, LocalColumn>; primaryKey: string[] }>();
  for (const row of columns.rows) {
    let table = tables.get(row.table_name);
    if (!table) tables.set(row.table_name, (table = { name: row.table_name, columns: new Map(), primaryKey: [] }));
    const type = dialect.columnType(row);
    table.columns.set(row.column_name, {
      name: row.column_name,
      dataType: row.data_type,
      family: type.family,
      castType: type.castType,
      maxLength: type.family === 'string' ? positiveOrNull(row.character_maximum_length) : null,
      precision: numberOrNull(row.numeric_precision),
      scale: numberOrNull(row.numeric_scale),
      nullable: row.is_nullable === 'YES',
    });
  }
  for (const row of keys.rows) tables.get(row.table_name)?.primaryKey.push(row.column_name);

  const byConstraint = new Map<string, { name: string; childTable: string; childColumns: string[]; parentTable: string; parentColumns: string[] }>();
  for (const row of foreign.rows) {
    const id = `${row.child_table}.${row.constraint_name}`;
    let key = byConstraint.get(id);
    if (!key) byConstraint.set(id, (key = { name: row.constraint_name, childTable: row.child_table, childColumns: [], parentTable: row.parent_table, parentColumns: [] }));
    key.childColumns.push(row.child_column);
    key.parentColumns.push(row.parent_column);
  }
  return { tables, foreignKeys: [...byConstraint.values()] };
}

function numberOrNull(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

function positiveOrNull(value: number | string | null): number | null {
  const n = numberOrNull(value);
  // SQL Server reports (max) as -1.
  return n === null || n <= 0 ? null : n;
}
