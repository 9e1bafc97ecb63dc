import type { Database } from '@goldpdv/core';
import type { ChangesRead, ChangesReadRequest } from './delta-dialect.js';
import { InvalidPullRequestError, ResetRequiredError } from './delta-errors.js';
import { changeOf, columnAlias, keyAlias } from './page-rows.js';
import { postgresValueSql } from './column-values.postgres.js';
import type { ServedTable } from './served-table.js';
import { pgIdent } from './sql-identifiers.js';
import { SqlParamList } from './sql-params.js';
import { readWindowState } from './versions.postgres.js';

/**
 * Net changes of one table in [since, to), paged by (version, key); see versions.postgres.ts for why `to` is
 * the settled bound. A key's net change is its latest log entry in the window, (txid, seq) being the order
 * of writes; every earlier entry of the key in the window is left out, so an insert, update and delete of one
 * key in one window come out as that single delete. Its values are the current row's, joined through the
 * logged key; a missing row is a delete, whatever the logged op was.
 *
 * Cost per page: the page of log entries is picked first, in a subquery, and only its limit + 1 entries are
 * joined to the table. The subquery walks ix_sync_change_log_paging (table_name, txid, pk, seq,
 * 0007_change_log_paging.sql) from the cursor in exactly the ORDER BY, so the LIMIT stops the scan: nothing is
 * sorted, and the rest of the window is never touched. A sort of the whole remainder per page would make
 * paging through a window quadratic in its size. The (txid, pk) row comparison is what lets the cursor be an
 * index bound rather than a filter. A superseded entry is dropped by NOT EXISTS, one probe of
 * ix_sync_change_log_table_pk (0005) for a later entry of the same key below `to`; DISTINCT ON would rank the
 * whole window for every page instead. Within one transaction a key can have several entries with the same
 * (txid, pk); only the last by seq survives, so the served (txid, pk) pairs are unique and the cursor, the
 * last one served, splits the window exactly: every net change is served once.
 *
 * Row filters apply to upserts only. A tombstone reaches every PDV: the filter column of a deleted row cannot
 * be read any more, and a PDV deleting a key it never had changes nothing. When the filter column is part of
 * the key, another loja's rows are skipped outright, which has to happen before the LIMIT: the subquery keeps
 * an entry of another loja only when its row is gone (one probe of the table's primary key). When the filter
 * column is not part of the key, a row that no longer matches is sent as a delete, because it may have just
 * moved out of this loja.
 */
export function changesSql(table: ServedTable, request: ChangesReadRequest, to: bigint, params: SqlParamList): string {
  const name = pgIdent(table.name);
  const firstKey = `t.${pgIdent(table.keyColumns[0]!)}`;
  const keyJoin = (alias: string) => table.keyColumns.map((key) => `${alias}.${pgIdent(key)} = k.${pgIdent(key)}`).join(' AND ');
  const gone = [`${firstKey} IS NULL`];
  const pageWhere: string[] = [];
  let pageKeys = '';
  if (table.filter) {
    const loja = params.add(request.lojaId);
    if (table.filter.inKey) {
      pageKeys = `
         CROSS JOIN LATERAL jsonb_populate_record(NULL::${name}, c.pk) AS k`;
      pageWhere.push(`AND (k.${pgIdent(table.filter.column)} = ${loja} OR NOT EXISTS (SELECT 1 FROM ${name} AS g WHERE ${keyJoin('g')}))`);
    } else {
      gone.push(`t.${pgIdent(table.filter.column)} IS DISTINCT FROM ${loja}`);
    }
  }
  const tableName = params.add(table.name);
  const since = params.add(request.since.toString());
  const upTo = params.add(to.toString());
  if (request.cursor) {
    pageWhere.push(`AND (c.txid, c.pk) > (${params.add(request.cursor.v)}::text::xid8, ${params.add(request.cursor.k)}::jsonb)`);
  }
  const keys = table.keys.map((column, index) => `${postgresValueSql('k', column)} AS ${keyAlias(index)}`);
  const values = table.columns.map((column, index) => `${postgresValueSql('t', column)} AS ${columnAlias(index)}`);
  return `
SELECT p.txid::text AS sync_version, p.pk::text AS sync_cursor_key, (${gone.join(' OR ')}) AS sync_gone,
       ${[...keys, ...values].join(',\n       ')}
  FROM (SELECT c.txid, c.pk
          FROM sync_change_log AS c${pageKeys}
         WHERE c.table_name = ${tableName}
           AND c.txid >= ${since}::text::xid8 AND c.txid < ${upTo}::text::xid8
           AND NOT EXISTS (SELECT 1 FROM sync_change_log AS d
                            WHERE d.table_name = c.table_name AND d.pk = c.pk
                              AND d.txid < ${upTo}::text::xid8 AND (d.txid, d.seq) > (c.txid, c.seq))
           ${pageWhere.join('\n           ')}
         ORDER BY c.txid, c.pk
         LIMIT ${params.add(request.limit + 1)}) AS p
 CROSS JOIN LATERAL jsonb_populate_record(NULL::${name}, p.pk) AS k
  LEFT JOIN ${name} AS t ON ${keyJoin('t')}
 ORDER BY p.txid, p.pk`;
}

export function readChangesPostgres(db: Database, request: ChangesReadRequest): Promise<ChangesRead> {
  const { table, since, cursor } = request;
  return db.transaction(
    async (tx) => {
      const state = await readWindowState(tx, table.name);
      if (since < state.minValid) throw new ResetRequiredError(table.name, state.minValid.toString(), since.toString());
      let to = state.bound;
      if (cursor) {
        to = BigInt(cursor.to);
        // A window reaching past the settled bound could serve a version before an older one commits.
        if (to > state.bound) throw new InvalidPullRequestError('cursor', 'cursor reaches past the versions this server has settled');
      }
      if (to <= since) return { toVersion: to.toString(), changes: [], hasMore: false, next: null };
      const params = new SqlParamList('postgres');
      const rows = (await tx.query<Record<string, unknown>>(changesSql(table, request, to, params), params.values)).rows;
      const hasMore = rows.length > request.limit;
      const page = hasMore ? rows.slice(0, request.limit) : rows;
      const last = page.at(-1);
      return {
        toVersion: to.toString(),
        changes: page.map((row) => changeOf(row, table)),
        hasMore,
        next: hasMore && last ? { to: to.toString(), v: String(last.sync_version), k: String(last.sync_cursor_key) } : null,
      };
    },
    { isolation: 'snapshot' },
  );
}
