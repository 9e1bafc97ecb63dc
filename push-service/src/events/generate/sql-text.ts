import { quoteIdentifier, quoteQualifiedName, type DialectName } from '@goldpdv/core';
import type { KeyColumn } from '../declaration/events-model.js';
import type { TableRef } from '../declaration/declaration-schema.js';

/**
 * The few pieces of SQL text that every generated statement is made of, once per dialect: quoted names, string
 * literals, and the two expressions that must read the same wherever they appear (in a trigger, in the seed,
 * in the sweep): a row's key as text and its status as text. A key or status written one way by the trigger and
 * another by the sweep would make every captured sale look missed.
 */
export interface SqlText {
  dialect: DialectName;
  table(ref: TableRef): string;
  column(alias: string, name: string): string;
  /** A string literal (N'...' on SQL Server), for values that come from the declaration. */
  literal(text: string): string;
  /** The key columns of `alias` as text: '42', a lowercase uuid, parts joined by ','. NULL when a part is NULL. */
  keyText(alias: string, key: readonly KeyColumn[]): string;
  /** A status column as text without trailing spaces; this conversion cannot fail for any column type. */
  statusText(alias: string, column: string): string;
  /** One of the project's own tables (dbo.sync_capture; unqualified on PostgreSQL, found through search_path). */
  syncTable(name: string): string;
  /**
   * The keys a statement is asked about, as a relation `k` with columns o (the caller's position) and k0, k1...
   * typed as the key columns, from the statement's first parameter: JSON [{"o": 0, "k0": 42}, ...].
   */
  keysRelation(key: readonly KeyColumn[]): string;
  /**
   * The table hint of push-service's reads of POS tables that must never wait for a sale (the sweep, the
   * reconciliation): on SQL Server, rows a running POS transaction holds are skipped (READPAST; READCOMMITTEDLOCK
   * makes it valid under READ_COMMITTED_SNAPSHOT) and seen at the next pass. PostgreSQL's readers never wait.
   */
  skipLocked: string;
}

const POSTGRES_KEY_TYPES: Record<KeyColumn['type'], string> = { int: 'integer', bigint: 'bigint', uniqueidentifier: 'uuid' };

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

export const MSSQL_TEXT: SqlText = {
  dialect: 'mssql',
  table: (ref) => quoteQualifiedName('mssql', ref.schema ?? null, ref.name),
  column: (alias, name) => `${alias}.${quoteIdentifier('mssql', name)}`,
  literal: (text) => `N${literal(text)}`,
  keyText: (alias, key) =>
    key
      .map(({ column, type }) => {
        const value = `${alias}.${quoteIdentifier('mssql', column)}`;
        return type === 'uniqueidentifier' ? `LOWER(CONVERT(varchar(36), ${value}))` : `CONVERT(varchar(20), ${value})`;
      })
      .join(" + ',' + "),
  statusText: (alias, column) => `RTRIM(CONVERT(nvarchar(100), ${alias}.${quoteIdentifier('mssql', column)}))`,
  syncTable: (name) => `dbo.${name}`,
  keysRelation: (key) => `OPENJSON(@p1) WITH (o int '$.o', ${key.map((k, i) => `k${i} ${k.type} '$.k${i}'`).join(', ')}) AS k`,
  skipLocked: ' WITH (READCOMMITTEDLOCK, READPAST)',
};

export const POSTGRES_TEXT: SqlText = {
  dialect: 'postgres',
  table: (ref) => quoteQualifiedName('postgres', ref.schema ?? null, ref.name),
  column: (alias, name) => `${alias}.${quoteIdentifier('postgres', name)}`,
  literal,
  // uuid's text form is lowercase already.
  keyText: (alias, key) => key.map(({ column }) => `${alias}.${quoteIdentifier('postgres', column)}::text`).join(" || ',' || "),
  // A char(n) value loses its padding in the cast to text; rtrim covers the other types.
  statusText: (alias, column) => `rtrim(${alias}.${quoteIdentifier('postgres', column)}::text)`,
  syncTable: (name) => name,
  keysRelation: (key) => `json_to_recordset($1::json) AS k (o integer, ${key.map((k, i) => `k${i} ${POSTGRES_KEY_TYPES[k.type]}`).join(', ')})`,
  skipLocked: '',
};

export const SQL_TEXT: Record<DialectName, SqlText> = { mssql: MSSQL_TEXT, postgres: POSTGRES_TEXT };

/** `a IN ('x', 'y')` over the declared values, as text. */
export function inValues(text: SqlText, expression: string, values: readonly string[]): string {
  return `${expression} IN (${values.map((value) => text.literal(value)).join(', ')})`;
}
