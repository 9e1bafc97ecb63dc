import { quoteIdentifier } from '@goldpdv/core';
import type { ServedTable } from '../served-table.js';
import { mssqlColumnReads, mssqlValueSql } from './column-values.mssql.js';
import type { ChangesReadRequest } from './delta-store.js';
import { keyAfterSql } from './key-order.mssql.js';
import { columnAlias, keyAlias } from './page-rows.js';
import type { SqlParamList } from './sql-params.js';

const ident = (name: string): string => quoteIdentifier('mssql', name);

/**
 * Net changes of one table in (since, to] from CHANGETABLE(CHANGES ...), which already returns one row per key
 * with its latest version and operation, LEFT JOINed to the table for the current values; paged by
 * (SYS_CHANGE_VERSION, key) with TOP (limit + 1) to know whether more follow. An operation 'D' or a missing
 * row is a tombstone. Row filters: see read-changes.postgres.ts (same rules); CHANGETABLE returns the primary
 * key columns of a deleted row, so a filter column in the key is read from there (ct.loja_id), for upserts and
 * tombstones alike.
 * CHANGETABLE takes its version as a bigint variable, hence the DECLAREs in front of the SELECT.
 *
 * After a cursor, CHANGETABLE starts from the cursor's version - 1 instead of `since`. SYS_CHANGE_VERSION is
 * a key's latest version whatever the baseline, and every key still to serve has one at or above the
 * cursor's, so the page is the same; only SYS_CHANGE_OPERATION may read 'U' instead of 'I', and just 'D' is
 * used. What changes is that the keys earlier pages served are not produced, joined to the table and sorted
 * again by every later page. CHANGETABLE has no access path in version order, so a page still costs what is
 * left of the window rather than the page alone. The baseline never drops below `since`, whose validity
 * readWindowState has checked.
 */
export function changesSql(table: ServedTable, request: ChangesReadRequest, to: bigint, params: SqlParamList): string {
  const name = table.sqlName;
  const keyNames = table.keys.map((key) => key.source);
  const firstKey = `t.${ident(keyNames[0]!)}`;
  const keyJoin = keyNames.map((key) => `t.${ident(key)} = ct.${ident(key)}`).join(' AND ');
  const cursorVersion = request.cursor ? BigInt(request.cursor.v) : null;
  const baseline = cursorVersion !== null && cursorVersion - 1n > request.since ? cursorVersion - 1n : request.since;
  // CHANGETABLE's own "changes since" version: the window's `since` or, after a cursor, the baseline above.
  const since = params.add(baseline.toString());
  const upTo = params.add(to.toString());
  const top = params.add(request.limit + 1);
  const gone = [`ct.SYS_CHANGE_OPERATION = 'D'`, `${firstKey} IS NULL`];
  const where: string[] = [];
  if (table.filter) {
    const loja = `CAST(${params.add(request.lojaId)} AS ${table.filter.sqlType})`;
    if (table.filter.inKey) where.push(`AND ct.${ident(table.filter.column)} = ${loja}`);
    else gone.push(`t.${ident(table.filter.column)} IS NULL OR t.${ident(table.filter.column)} <> ${loja}`);
  }
  if (request.cursor) {
    const after = `CAST(${params.add(request.cursor.v)} AS bigint)`;
    const keyAfter = keyAfterSql('ct', table.keys, JSON.parse(request.cursor.k) as Record<string, unknown>, params);
    where.push(`AND (ct.SYS_CHANGE_VERSION > ${after} OR (ct.SYS_CHANGE_VERSION = ${after} AND ${keyAfter}))`);
  }
  const keys = table.keys.map((column, index) => `${mssqlValueSql('ct', column)} AS ${keyAlias(index)}`);
  const values = mssqlColumnReads('t', table.columns, columnAlias);
  const order = keyNames.map((key) => `ct.${ident(key)}`).join(', ');
  return `DECLARE @since bigint = CAST(${since} AS bigint), @to bigint = CAST(${upTo} AS bigint);
SELECT TOP (${top}) CONVERT(varchar(20), ct.SYS_CHANGE_VERSION) AS sync_version,
       CASE WHEN ${gone.join(' OR ')} THEN 1 ELSE 0 END AS sync_gone,
       ${[...keys, ...values.select].join(',\n       ')}
  FROM CHANGETABLE(CHANGES ${name}, @since) AS ct
  LEFT JOIN ${name} AS t ON ${keyJoin}${values.applies.map((apply) => `\n ${apply}`).join('')}
 WHERE ct.SYS_CHANGE_VERSION <= @to
   ${where.join('\n   ')}
 ORDER BY ct.SYS_CHANGE_VERSION, ${order};`;
}
