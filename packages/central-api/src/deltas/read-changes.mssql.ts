import type { Database } from '@goldpdv/core';
import type { ChangesRead, ChangesReadRequest } from './delta-dialect.js';
import { InvalidPullRequestError, ResetRequiredError } from './delta-errors.js';
import { keyAfterSql, keyCursorText } from './key-order.mssql.js';
import { changeOf, columnAlias, keyAlias } from './page-rows.js';
import { mssqlValueSql } from './column-values.mssql.js';
import type { ServedTable } from './served-table.js';
import { msIdent } from './sql-identifiers.js';
import { SqlParamList } from './sql-params.js';
import { readWindowState } from './versions.mssql.js';

/**
 * Net changes of one table in (since, to] from CHANGETABLE(CHANGES ...), which already returns one row per key
 * with its latest version and operation, LEFT JOINed to the table for the current values; paged by
 * (SYS_CHANGE_VERSION, key) with TOP (limit + 1) to know whether more follow. An operation 'D' or a missing
 * row is a tombstone. Row filters: see read-changes.postgres.ts (same rules).
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
  const name = `dbo.${msIdent(table.name)}`;
  const firstKey = `t.${msIdent(table.keyColumns[0]!)}`;
  const keyJoin = table.keyColumns.map((key) => `t.${msIdent(key)} = ct.${msIdent(key)}`).join(' AND ');
  const cursorVersion = request.cursor ? BigInt(request.cursor.v) : null;
  const baseline = cursorVersion !== null && cursorVersion - 1n > request.since ? cursorVersion - 1n : request.since;
  // CHANGETABLE's own "changes since" version: the window's `since` or, after a cursor, the baseline above.
  const since = params.add(baseline.toString());
  const upTo = params.add(to.toString());
  const top = params.add(request.limit + 1);
  const gone = [`ct.SYS_CHANGE_OPERATION = 'D'`, `${firstKey} IS NULL`];
  const where: string[] = [];
  if (table.filter) {
    const filterType = table.columns.find((column) => column.name === table.filter!.column)!.sqlType;
    const loja = `CAST(${params.add(request.lojaId)} AS ${filterType})`;
    if (table.filter.inKey) where.push(`AND (${firstKey} IS NULL OR ct.${msIdent(table.filter.column)} = ${loja})`);
    else gone.push(`t.${msIdent(table.filter.column)} IS NULL OR t.${msIdent(table.filter.column)} <> ${loja}`);
  }
  if (request.cursor) {
    const after = `CAST(${params.add(request.cursor.v)} AS bigint)`;
    const keyAfter = keyAfterSql('ct', table.keys, JSON.parse(request.cursor.k) as Record<string, unknown>, params);
    where.push(`AND (ct.SYS_CHANGE_VERSION > ${after} OR (ct.SYS_CHANGE_VERSION = ${after} AND ${keyAfter}))`);
  }
  const keys = table.keys.map((column, index) => `${mssqlValueSql('ct', column)} AS ${keyAlias(index)}`);
  const values = table.columns.map((column, index) => `${mssqlValueSql('t', column)} AS ${columnAlias(index)}`);
  const order = table.keyColumns.map((key) => `ct.${msIdent(key)}`).join(', ');
  return `DECLARE @since bigint = CAST(${since} AS bigint), @to bigint = CAST(${upTo} AS bigint);
SELECT TOP (${top}) CONVERT(varchar(20), ct.SYS_CHANGE_VERSION) AS sync_version,
       CASE WHEN ${gone.join(' OR ')} THEN 1 ELSE 0 END AS sync_gone,
       ${[...keys, ...values].join(',\n       ')}
  FROM CHANGETABLE(CHANGES ${name}, @since) AS ct
  LEFT JOIN ${name} AS t ON ${keyJoin}
 WHERE ct.SYS_CHANGE_VERSION <= @to
   ${where.join('\n   ')}
 ORDER BY ct.SYS_CHANGE_VERSION, ${order};`;
}

export function readChangesMssql(db: Database, request: ChangesReadRequest): Promise<ChangesRead> {
  const { table, since, cursor } = request;
  return db.transaction(
    async (tx) => {
      const state = await readWindowState(tx, table.name);
      if (state.minValid === null) throw new Error(`${table.name} is no longer tracked`);
      if (since < state.minValid) throw new ResetRequiredError(table.name, state.minValid.toString(), since.toString());
      let to = state.current;
      if (cursor) {
        to = BigInt(cursor.to);
        if (to > state.current) throw new InvalidPullRequestError('cursor', 'cursor reaches past the current Change Tracking version');
      }
      if (to <= since) return { toVersion: to.toString(), changes: [], hasMore: false, next: null };
      const params = new SqlParamList('mssql');
      const rows = (await tx.query<Record<string, unknown>>(changesSql(table, request, to, params), params.values)).rows;
      const hasMore = rows.length > request.limit;
      const changes = (hasMore ? rows.slice(0, request.limit) : rows).map((row) => changeOf(row, table));
      const last = changes.at(-1);
      return {
        toVersion: to.toString(),
        changes,
        hasMore,
        next: hasMore && last ? { to: to.toString(), v: last.version, k: keyCursorText(last.key) } : null,
      };
    },
    { isolation: 'snapshot' },
  );
}
