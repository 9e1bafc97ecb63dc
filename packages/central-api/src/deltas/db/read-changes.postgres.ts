import { quoteIdentifier } from '@goldpdv/core';
import type { ServedTable } from '../served-table.js';
import { postgresValueSql } from './column-values.postgres.js';
import type { ChangesReadRequest } from './delta-store.js';
import { columnAlias, keyAlias } from './page-rows.js';
import type { SqlParamList } from './sql-params.js';

const ident = (name: string): string => quoteIdentifier('postgres', name);

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
 * Row filters. When the filter column is part of the key, the change log holds it for every entry, deletes
 * included (as CHANGETABLE does on SQL Server), so another loja's entries are skipped outright, upserts and
 * tombstones alike: a price deleted in one loja reaches only that loja's PDVs. The skip has to happen before the
 * LIMIT, hence in the subquery, from the logged key. When the filter column is not part of the key, a deleted
 * row's filter column cannot be read any more, so its tombstone reaches every PDV (a PDV deleting a key it never
 * had changes nothing), and a row that no longer matches is sent as a delete, because it may have just moved
 * out of this loja.
 */
export function changesSql(table: ServedTable, request: ChangesReadRequest, to: bigint, params: SqlParamList): string {
  const name = table.sqlName;
  const keyNames = table.keys.map((key) => key.source);
  const firstKey = `t.${ident(keyNames[0]!)}`;
  const keyJoin = (alias: string) => keyNames.map((key) => `${alias}.${ident(key)} = k.${ident(key)}`).join(' AND ');
  const gone = [`${firstKey} IS NULL`];
  const pageWhere: string[] = [];
  let pageKeys = '';
  if (table.filter) {
    const loja = params.add(request.lojaId);
    if (table.filter.inKey) {
      pageKeys = `
         CROSS JOIN LATERAL jsonb_populate_record(NULL::${name}, c.pk) AS k`;
      pageWhere.push(`AND k.${ident(table.filter.column)} = ${loja}`);
    } else {
      gone.push(`t.${ident(table.filter.column)} IS DISTINCT FROM ${loja}`);
    }
  }
  const tableName = params.add(table.trackingName);
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
