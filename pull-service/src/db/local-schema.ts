import type { ColumnType, Queryable } from '@goldpdv/core';
import { displayLocalName, type LocalName } from '../plan/local-name.js';

export interface LocalColumn {
  name: string;
  /** As the catalog spells it, e.g. "character varying", "numeric", "datetime2". */
  dataType: string;
  /**
   * The contract's type of the values this column takes on the wire; it decides the cast, the base64 decoding
   * and the checks. A json column takes a string. null: a type pull-service cannot fill (arrays, user-defined types...).
   */
  type: ColumnType | null;
  /**
   * SQL type a text value is cast to; null for text columns (the INSERT's own assignment checks their length) and
   * binary. A json column keeps its cast here (json, jsonb), which is what tells it from a text column.
   */
  castType: string | null;
  /** Characters for text columns; null when unbounded or not text. */
  maxLength: number | null;
  precision: number | null;
  scale: number | null;
  nullable: boolean;
  /** The column has a default of its own (a DEFAULT, a sequence): an INSERT that leaves it out still fills it. */
  hasDefault: boolean;
  /**
   * An identity (or, on PostgreSQL, a sequence-backed serial) column: 'always' needs SET IDENTITY_INSERT (SQL
   * Server's IDENTITY) or OVERRIDING SYSTEM VALUE (GENERATED ALWAYS) to take a pulled value; 'by-default' takes it
   * as it is. Either way the sequence behind it must be moved past the pulled values (PostgreSQL; SQL Server
   * moves an identity's current value itself).
   */
  identity: 'always' | 'by-default' | null;
  /** Computed by the database (a computed or generated column, a rowversion): never written. */
  generated: boolean;
}

export interface LocalTable {
  /** As the catalog spells them. */
  schema: string;
  name: string;
  columns: ReadonlyMap<string, LocalColumn>;
  primaryKey: readonly string[];
}

export interface LocalForeignKey {
  name: string;
  childTable: LocalName;
  childColumns: readonly string[];
  parentTable: LocalName;
  parentColumns: readonly string[];
}

export interface LocalSchema {
  /** By displayLocalName of {schema, name} as the catalog spells them. */
  tables: ReadonlyMap<string, LocalTable>;
  /** The schema a name without one lives in: dbo on SQL Server, current_schema() on PostgreSQL. */
  defaultSchema: string;
  /** Foreign keys whose parent is one of the tables asked for. */
  foreignKeys: readonly LocalForeignKey[];
  /** SQL Server matches names without regard to case (default collations); PostgreSQL, quoted, exactly. */
  namesIgnoreCase: boolean;
}

/** A column the way the catalog describes it, the same on both dialects. */
export interface CatalogColumnRow {
  table_schema: string;
  table_name: string;
  column_name: string;
  data_type: string;
  character_maximum_length: number | string | null;
  numeric_precision: number | string | null;
  numeric_scale: number | string | null;
  datetime_precision: number | string | null;
  is_nullable: string;
  /** 1 when the column has a default (or a sequence behind it). */
  has_default: number | string | boolean | null;
  /** 'always', 'by-default' or null (see LocalColumn.identity). */
  identity_kind: string | null;
  /** 1 when the database computes the column. */
  is_generated: number | string | boolean | null;
}

/** What each dialect file (local-schema.postgres.ts, local-schema.mssql.ts) provides. */
export interface LocalSchemaDialect {
  /** Parameter 1 of each: a JSON array of {schema, name}, schema null for the default schema. */
  columnsSql: string;
  /** One row, default_schema. */
  defaultSchemaSql: string;
  primaryKeysSql: string;
  foreignKeysSql: string;
  namesIgnoreCase: boolean;
  columnType(row: CatalogColumnRow): { type: ColumnType | null; castType: string | null };
}

export interface LocalSchemaReader {
  /** Reads, from the database's own catalog, what the mapping needs to know about the given local tables. */
  read(db: Queryable, tableNames: readonly LocalName[]): Promise<LocalSchema>;
}

interface KeyRow {
  table_schema: string;
  table_name: string;
  column_name: string;
}

interface ForeignKeyRow {
  constraint_name: string;
  child_schema: string;
  child_table: string;
  child_column: string;
  parent_schema: string;
  parent_table: string;
  parent_column: string;
}

export function createLocalSchemaReader(dialect: LocalSchemaDialect): LocalSchemaReader {
  return {
    async read(db, tableNames) {
      const names = JSON.stringify(tableNames.map((table) => ({ schema: table.schema, name: table.name })));
      const defaultSchema = String((await db.query<{ default_schema: string }>(dialect.defaultSchemaSql)).rows[0]?.default_schema ?? '');
      const columns = await db.query<CatalogColumnRow>(dialect.columnsSql, [names]);
      const keys = await db.query<KeyRow>(dialect.primaryKeysSql, [names]);
      const foreign = await db.query<ForeignKeyRow>(dialect.foreignKeysSql, [names]);
      const tables = new Map<string, { schema: string; name: string; columns: Map<string, LocalColumn>; primaryKey: string[] }>();
      const keyOf = (schema: string, name: string) => displayLocalName({ schema, name });
      for (const row of columns.rows) {
        const key = keyOf(row.table_schema, row.table_name);
        let table = tables.get(key);
        if (!table) tables.set(key, (table = { schema: row.table_schema, name: row.table_name, columns: new Map(), primaryKey: [] }));
        table.columns.set(row.column_name, localColumn(row, dialect.columnType(row)));
      }
      for (const row of keys.rows) tables.get(keyOf(row.table_schema, row.table_name))?.primaryKey.push(row.column_name);
      return { tables, defaultSchema, foreignKeys: foreignKeysOf(foreign.rows), namesIgnoreCase: dialect.namesIgnoreCase };
    },
  };
}

function localColumn(row: CatalogColumnRow, kind: { type: ColumnType | null; castType: string | null }): LocalColumn {
  const isText = kind.type === 'string' && kind.castType === null;
  return {
    name: row.column_name,
    dataType: row.data_type,
    type: kind.type,
    castType: kind.castType,
    maxLength: isText ? positiveOrNull(row.character_maximum_length) : null,
    precision: numberOrNull(row.numeric_precision),
    scale: numberOrNull(row.numeric_scale),
    nullable: row.is_nullable === 'YES',
    hasDefault: isTrue(row.has_default),
    identity: row.identity_kind === 'always' || row.identity_kind === 'by-default' ? row.identity_kind : null,
    generated: isTrue(row.is_generated),
  };
}

function foreignKeysOf(rows: readonly ForeignKeyRow[]): LocalForeignKey[] {
  const byConstraint = new Map<string, { name: string; childTable: LocalName; childColumns: string[]; parentTable: LocalName; parentColumns: string[] }>();
  for (const row of rows) {
    const id = JSON.stringify([row.child_schema, row.child_table, row.constraint_name]);
    let key = byConstraint.get(id);
    if (!key) {
      const childTable = { schema: row.child_schema, name: row.child_table };
      byConstraint.set(id, (key = { name: row.constraint_name, childTable, childColumns: [], parentTable: { schema: row.parent_schema, name: row.parent_table }, parentColumns: [] }));
    }
    key.childColumns.push(row.child_column);
    key.parentColumns.push(row.parent_column);
  }
  return [...byConstraint.values()];
}

function numberOrNull(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

function positiveOrNull(value: number | string | null): number | null {
  const n = numberOrNull(value);
  // SQL Server reports (max) as -1.
  return n === null || n <= 0 ? null : n;
}

function isTrue(value: number | string | boolean | null): boolean {
  return value === true || value === 1 || value === '1' || value === 'YES' || value === 't' || value === 'true';
}
