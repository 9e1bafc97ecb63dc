import type { Database, Queryable } from '@goldpdv/core';
import type { SnapshotRead, SnapshotReadRequest } from './delta-dialect.js';
import { InvalidPullRequestError, ResetRequiredError } from './delta-errors.js';
import { keyAfterSql, keyCursorText } from './key-order.mssql.js';
import { columnAlias, keyAlias, keyOf, rowOf } from './page-rows.js';
import { mssqlValueSql } from './column-values.mssql.js';
import type { ServedTable } from './served-table.js';
import { msIdent } from './sql-identifiers.js';
import { SqlParamList } from './sql-params.js';
import { readWindowState } from './versions.mssql.js';

/**
 * Every row of a table (filtered for the caller's loja), paged by key. As Microsoft documents for the initial
 * synchronisation, the version is taken first and the rows read after it, in one SNAPSHOT transaction: the
 * rows then reflect at least that version, and deltas from it replay (idempotently) whatever changed later,
 * including while the remaining pages were read.
 */
export function snapshotSql(table: ServedTable, request: SnapshotReadRequest, params: SqlParamList): string {
  const name = `dbo.${msIdent(table.name)}`;
  const top = params.add(request.limit + 1);
  const where: string[] = [];
  if (request.cursor) where.push(keyAfterSql('t', table.keys, JSON.parse(request.cursor.k) as Record<string, unknown>, params));
  if (table.filter) {
    const filterType = table.columns.find((column) => column.name === table.filter!.column)!.sqlType;
    where.push(`t.${msIdent(table.filter.column)} = CAST(${params.add(request.lojaId)} AS ${filterType})`);
  }
  const keys = table.keys.map((column, index) => `${mssqlValueSql('t', column)} AS ${keyAlias(index)}`);
  const values = table.columns.map((column, index) => `${mssqlValueSql('t', column)} AS ${columnAlias(index)}`);
  return `SELECT TOP (${top}) ${[...keys, ...values].join(',\n       ')}
  FROM ${name} AS t
 ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
 ORDER BY ${table.keyColumns.map((key) => `t.${msIdent(key)}`).join(', ')};`;
}

async function readPage(tx: Queryable, request: SnapshotReadRequest, snapshotVersion: string): Promise<SnapshotRead> {
  const params = new SqlParamList('mssql');
  const rows = (await tx.query<Record<string, unknown>>(snapshotSql(request.table, request, params), params.values)).rows;
  const hasMore = rows.length > request.limit;
  const page = hasMore ? rows.slice(0, request.limit) : rows;
  const last = page.at(-1);
  return {
    snapshotVersion,
    rows: page.map((row) => rowOf(row, request.table)),
    hasMore,
    next: hasMore && last ? { s: snapshotVersion, k: keyCursorText(keyOf(last, request.table)) } : null,
  };
}

export function readSnapshotMssql(db: Database, request: SnapshotReadRequest): Promise<SnapshotRead> {
  return db.transaction(
    async (tx) => {
      const state = await readWindowState(tx, request.table.name);
      const cursor = request.cursor;
      if (!cursor) return readPage(tx, request, state.current.toString());
      const version = BigInt(cursor.s);
      if (version > state.current) throw new InvalidPullRequestError('cursor', 'cursor reaches past the current Change Tracking version');
      if (state.minValid !== null && version < state.minValid) throw new ResetRequiredError(request.table.name, state.minValid.toString(), cursor.s);
      return readPage(tx, request, cursor.s);
    },
    { isolation: 'snapshot' },
  );
}
