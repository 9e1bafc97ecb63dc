import { quoteIdentifier } from '@goldpdv/core';
import type { ServedColumn } from '../served-table.js';
import type { SqlParamList } from './sql-params.js';

/**
 * `(a, b) > (x, y)` spelled out for T-SQL, which has no row-value comparison: a > x OR (a = x AND b > y).
 * Each cursor value is bound as a parameter and CAST to the key column's declared type, so the comparison
 * follows the column's own ordering (uniqueidentifier, collations) exactly as ORDER BY does.
 */
export function keyAfterSql(alias: string, keys: readonly ServedColumn[], values: Record<string, unknown>, params: SqlParamList): string {
  const bound = keys.map((key) => ({ ref: `${alias}.${quoteIdentifier('mssql', key.source)}`, value: `CAST(${params.add(values[key.source])} AS ${key.sqlType})` }));
  const clauses = bound.map((current, index) => {
    const equalBefore = bound.slice(0, index).map((earlier) => `${earlier.ref} = ${earlier.value}`);
    return `(${[...equalBefore, `${current.ref} > ${current.value}`].join(' AND ')})`;
  });
  return `(${clauses.join(' OR ')})`;
}

/** The key as JSON text, by the central key columns' names (cursor.ts cursorKeyNames), for a cursor. */
export const keyCursorText = (key: Record<string, unknown>): string => JSON.stringify(key);
