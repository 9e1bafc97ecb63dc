import type { Database, Queryable } from '@goldpdv/core';
import type { SnapshotRead, SnapshotReadRequest } from './delta-dialect.js';
import { InvalidPullRequestError, ResetRequiredError } from './delta-errors.js';
import { columnAlias, rowOf } from './page-rows.js';
import { postgresValueSql } from './column-values.postgres.js';
import type { ServedTable } from './served-table.js';
import { nameLiteral, pgIdent } from './sql-identifiers.js';
import { SqlParamList } from './sql-params.js';
import { readWindowState } from './versions.postgres.js';

/**
 * Every row of a table (filtered for the caller's loja), paged by key. The snapshot version is the settled bound
 * of the first page's own snapshot: every transaction of this database below it is reflected in that page and every later
 * page, and any change a page may miss (a row changed after its page was read, or before a later page by a
 * transaction at or above the bound) has a transaction id at or above the bound, so deltas from it replay
 * it. The cursor carries the last key as JSON; jsonb_populate_record turns it back into typed values.
 */
function snapshotSql(table: ServedTable, request: SnapshotReadRequest, params: SqlParamList): string {
  const name = pgIdent(table.name);
  const keyList = (alias: string): string => table.keyColumns.map((key) => `${alias}.${pgIdent(key)}`).join(', ');
  const where: string[] = [];
  if (request.cursor) {
    where.push(`(${keyList('t')}) > (SELECT ${keyList('a')} FROM jsonb_populate_record(NULL::${name}, ${params.add(request.cursor.k)}::jsonb) AS a)`);
  }
  if (table.filter) where.push(`t.${pgIdent(table.filter.column)} = ${params.add(request.lojaId)}`);
  const cursorKey = `jsonb_build_object(${table.keyColumns.map((key) => `${nameLiteral(key)}, t.${pgIdent(key)}`).join(', ')})::text`;
  const values = table.columns.map((column, index) => `${postgresValueSql('t', column)} AS ${columnAlias(index)}`);
  return `
SELECT ${cursorKey} AS sync_cursor_key,
       ${values.join(',\n       ')}
  FROM ${name} AS t
 ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
 ORDER BY ${keyList('t')}
 LIMIT ${params.add(request.limit + 1)}`;
}

async function readPage(tx: Queryable, request: SnapshotReadRequest, snapshotVersion: string): Promise<SnapshotRead> {
  const params = new SqlParamList('postgres');
  const rows = (await tx.query<Record<string, unknown>>(snapshotSql(request.table, request, params), params.values)).rows;
  const hasMore = rows.length > request.limit;
  const page = hasMore ? rows.slice(0, request.limit) : rows;
  const last = page.at(-1);
  return {
    snapshotVersion,
    rows: page.map((row) => rowOf(row, request.table)),
    hasMore,
    next: hasMore && last ? { s: snapshotVersion, k: String(last.sync_cursor_key) } : null,
  };
}

export function readSnapshotPostgres(db: Database, request: SnapshotReadRequest): Promise<SnapshotRead> {
  return db.transaction(
    async (tx) => {
      const state = await readWindowState(tx, request.table.name);
      const cursor = request.cursor;
      if (!cursor) return readPage(tx, request, state.bound.toString());
      const version = BigInt(cursor.s);
      if (version > state.bound) throw new InvalidPullRequestError('cursor', 'cursor reaches past the versions this server has settled');
      // Retention moved past this snapshot while it was being read: deltas could not resume from it anyway.
      if (version < state.minValid) throw new ResetRequiredError(request.table.name, state.minValid.toString(), cursor.s);
      return readPage(tx, request, cursor.s);
    },
    { isolation: 'snapshot' },
  );
}
