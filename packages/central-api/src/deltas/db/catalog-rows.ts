import type { CatalogColumn, TableRef } from '../served-table.js';

/** A row of either dialect's columns query, aliased to information_schema's lowercase names. */
export interface CatalogColumnRow {
  table_schema: string;
  table_name: string;
  column_name: string;
  data_type: string;
  numeric_precision: number | null;
  numeric_scale: number | null;
  datetime_precision: number | null;
  character_maximum_length: number | null;
}

/** A row of either dialect's foreign-keys query. */
export interface ForeignKeyRow {
  child_schema: string;
  child_table: string;
  parent_schema: string;
  parent_table: string;
}

// information_schema's cardinal_number may come back as text from one driver and as a number from another.
const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

export function catalogColumnOf(row: CatalogColumnRow): CatalogColumn {
  return {
    name: row.column_name,
    dataType: row.data_type,
    numericPrecision: numberOrNull(row.numeric_precision),
    numericScale: numberOrNull(row.numeric_scale),
    datetimePrecision: numberOrNull(row.datetime_precision),
    maxLength: numberOrNull(row.character_maximum_length),
  };
}

export const foreignKeyOf = (row: ForeignKeyRow): { child: TableRef; parent: TableRef } => ({
  child: { schema: row.child_schema, name: row.child_table },
  parent: { schema: row.parent_schema, name: row.parent_table },
});

/** A map key for a table: schema and name, which may hold any character, kept apart. */
export const tableId = (table: TableRef): string => JSON.stringify([table.schema, table.name]);

/** The columns of each table, by tableId, in the query's (table) order. */
export function columnsByTable(rows: readonly CatalogColumnRow[]): Map<string, CatalogColumn[]> {
  const byTable = new Map<string, CatalogColumn[]>();
  for (const row of rows) {
    const id = tableId({ schema: row.table_schema, name: row.table_name });
    byTable.set(id, [...(byTable.get(id) ?? []), catalogColumnOf(row)]);
  }
  return byTable;
}
