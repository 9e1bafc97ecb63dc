import { quoteIdentifier, quoteNameLiteral } from '@goldpdv/core';
import type { ServedTable } from '../served-table.js';
import { postgresValueSql } from './column-values.postgres.js';
import type { SnapshotReadRequest } from './delta-store.js';
import { columnAlias } from './page-rows.js';
import type { SqlParamList } from './sql-params.js';

const ident = (name: string): string => quoteIdentifier('postgres', name);

/**
 * Every row of a table (filtered for the caller's loja), paged by key. The snapshot version is the settled bound
 * of the first page's own snapshot: every transaction of this database below it is reflected in that page and every later
 * page, and any change a page may miss (a row changed after its page was read, or before a later page by a
 * transaction at or above the bound) has a transaction id at or above the bound, so deltas from it replay
 * it. The cursor carries the last key as JSON; jsonb_populate_record turns it back into typed values.
 */
export function snapshotSql(table: ServedTable, request: SnapshotReadRequest, params: SqlParamList): string {
  const name = table.sqlName;
  const keyNames = table.keys.map((key) => key.source);
  const keyList = (alias: string): string => keyNames.map((key) => `${alias}.${ident(key)}`).join(', ');
  const where: string[] = [];
  if (request.cursor) {
    where.push(`(${keyList('t')}) > (SELECT ${keyList('a')} FROM jsonb_populate_record(NULL::${name}, ${params.add(request.cursor.k)}::jsonb) AS a)`);
  }
  if (table.filter) where.push(`t.${ident(table.filter.column)} = ${params.add(request.lojaId)}`);
  const cursorKey = `jsonb_build_object(${keyNames.map((key) => `${quoteNameLiteral('postgres', key)}, t.${ident(key)}`).join(', ')})::text`;
  const values = table.columns.map((column, index) => `${postgresValueSql('t', column)} AS ${columnAlias(index)}`);
  return `
SELECT ${cursorKey} AS sync_cursor_key,
       ${values.join(',\n       ')}
  FROM ${name} AS t
 ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
 ORDER BY ${keyList('t')}
 LIMIT ${params.add(request.limit + 1)}`;
}
