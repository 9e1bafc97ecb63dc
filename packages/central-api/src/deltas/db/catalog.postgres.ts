import type { Queryable } from '@goldpdv/core';
import type { SourceTableName } from '../declaration/source-name.js';
import type { Catalog, CatalogTable } from '../served-table.js';
import { columnsByTable, foreignKeyOf, tableId, type CatalogColumnRow, type ForeignKeyRow } from './catalog-rows.js';

/**
 * The declared tables as the catalog has them, in any schema ($1 schemas, null for the current one; $2 names).
 * A table's changes are recorded when it has this database's sync_track_change trigger (the function found
 * through the search path, since several databases' schemas may share a server) enabled and a row in
 * sync_change_tracking, whose key columns are the ones the trigger logs. The change log names a table by its
 * unqualified name (TG_TABLE_NAME), so two tracked tables of one name in different schemas cannot be told
 * apart there: such a table is reported, not served. Column types come from information_schema, foreign keys
 * (for the dependency order) from pg_constraint.
 */
export const DECLARED_TABLES_SQL = `
SELECT n.nspname AS table_schema, r.relname AS table_name, t.key_columns,
       EXISTS (SELECT 1 FROM pg_trigger AS g
                WHERE g.tgrelid = r.oid AND g.tgname = 'sync_track_change'
                  AND g.tgfoid = to_regproc('sync_track_change') AND g.tgenabled <> 'D') AS capturing,
       (SELECT count(*) FROM pg_trigger AS g JOIN pg_class AS o ON o.oid = g.tgrelid
         WHERE g.tgname = 'sync_track_change' AND g.tgfoid = to_regproc('sync_track_change') AND o.relname = r.relname)::int AS same_name
  FROM unnest($1::text[], $2::text[]) AS d(schema_name, table_name)
  JOIN pg_namespace AS n ON n.nspname = coalesce(d.schema_name, current_schema())
  JOIN pg_class AS r ON r.relnamespace = n.oid AND r.relname = d.table_name AND r.relkind IN ('r', 'p')
  LEFT JOIN sync_change_tracking AS t ON t.table_name = r.relname`;

export const COLUMNS_SQL = `
SELECT c.table_schema, c.table_name, c.column_name, c.data_type, c.numeric_precision, c.numeric_scale,
       c.datetime_precision, c.character_maximum_length
  FROM information_schema.columns AS c
 WHERE (c.table_schema, c.table_name) IN (SELECT coalesce(d.schema_name, current_schema()), d.table_name
                                            FROM unnest($1::text[], $2::text[]) AS d(schema_name, table_name))
 ORDER BY c.table_schema, c.table_name, c.ordinal_position`;

export const FOREIGN_KEYS_SQL = `
SELECT cn.nspname AS child_schema, child.relname AS child_table, pn.nspname AS parent_schema, parent.relname AS parent_table
  FROM pg_constraint AS f
  JOIN pg_class AS child ON child.oid = f.conrelid
  JOIN pg_namespace AS cn ON cn.oid = child.relnamespace
  JOIN pg_class AS parent ON parent.oid = f.confrelid
  JOIN pg_namespace AS pn ON pn.oid = parent.relnamespace
 WHERE f.contype = 'f'
   AND (cn.nspname, child.relname) IN (SELECT coalesce(d.schema_name, current_schema()), d.table_name
                                         FROM unnest($1::text[], $2::text[]) AS d(schema_name, table_name))`;

interface DeclaredTableRow {
  table_schema: string;
  table_name: string;
  key_columns: string[] | null;
  capturing: boolean;
  same_name: number;
}

function untrackedReason(row: DeclaredTableRow): string | null {
  if (row.key_columns === null) return `it has no sync_change_tracking entry: SELECT sync_enable_tracking('<schema>.<table>'::regclass, ARRAY[<key columns>])`;
  if (!row.capturing) return 'its change-log trigger (sync_track_change) is missing or disabled: run sync_enable_tracking again';
  if (row.same_name > 1) return `another tracked table is also named ${row.table_name}: the change log cannot tell them apart`;
  return null;
}

export async function readPostgresCatalog(db: Queryable, declared: readonly SourceTableName[]): Promise<Catalog> {
  const params = [declared.map((table) => table.schema), declared.map((table) => table.name)];
  const defaultSchema = (await db.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
  const rows = (await db.query<DeclaredTableRow>(DECLARED_TABLES_SQL, params)).rows;
  const columns = columnsByTable((await db.query<CatalogColumnRow>(COLUMNS_SQL, params)).rows);
  const foreignKeys = (await db.query<ForeignKeyRow>(FOREIGN_KEYS_SQL, params)).rows;
  const tables = rows.map((row): CatalogTable => {
    const untracked = untrackedReason(row);
    return {
      schema: row.table_schema,
      name: row.table_name,
      untracked,
      trackingName: row.table_name,
      keyColumns: untracked === null ? [...row.key_columns!] : [],
      columns: columns.get(tableId({ schema: row.table_schema, name: row.table_name })) ?? [],
    };
  });
  return { defaultSchema, tables, foreignKeys: foreignKeys.map(foreignKeyOf) };
}
