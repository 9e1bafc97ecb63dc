import { quoteIdentifier } from '@goldpdv/core';
import type { ServedTable } from '../served-table.js';
import { mssqlColumnReads, mssqlValueSql } from './column-values.mssql.js';
import type { SnapshotReadRequest } from './delta-store.js';
import { keyAfterSql } from './key-order.mssql.js';
import { columnAlias, keyAlias } from './page-rows.js';
import type { SqlParamList } from './sql-params.js';

const ident = (name: string): string => quoteIdentifier('mssql', name);

/**
 * Every row of a table (filtered for the caller's loja), paged by key. As Microsoft documents for the initial
 * synchronisation, the version is taken first and the rows read after it, in one SNAPSHOT transaction: the
 * rows then reflect at least that version, and deltas from it replay (idempotently) whatever changed later,
 * including while the remaining pages were read.
 */
export function snapshotSql(table: ServedTable, request: SnapshotReadRequest, params: SqlParamList): string {
  const name = table.sqlName;
  const top = params.add(request.limit + 1);
  const where: string[] = [];
  if (request.cursor) where.push(keyAfterSql('t', table.keys, JSON.parse(request.cursor.k) as Record<string, unknown>, params));
  if (table.filter) {
    where.push(`t.${ident(table.filter.column)} = CAST(${params.add(request.lojaId)} AS ${table.filter.sqlType})`);
  }
  const keys = table.keys.map((column, index) => `${mssqlValueSql('t', column)} AS ${keyAlias(index)}`);
  const values = mssqlColumnReads('t', table.columns, columnAlias);
  return `SELECT TOP (${top}) ${[...keys, ...values.select].join(',\n       ')}
  FROM ${name} AS t${values.applies.map((apply) => `\n ${apply}`).join('')}
 ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
 ORDER BY ${table.keys.map((key) => `t.${ident(key.source)}`).join(', ')};`;
}
