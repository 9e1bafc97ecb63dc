import type { CatalogColumnRow, ValueFamily } from './local-schema.js';

/** Catalog queries for PostgreSQL. $1 is a JSON array of table names; tables live in current_schema(). */

export const columnsSql = `
SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, c.data_type::text AS data_type,
       c.character_maximum_length, c.numeric_precision, c.numeric_scale, c.datetime_precision, c.is_nullable::text AS is_nullable
FROM information_schema.columns AS c
WHERE c.table_schema = current_schema()
  AND c.table_name IN (SELECT jsonb_array_elements_text($1::jsonb))
ORDER BY c.table_name, c.ordinal_position`;

export const primaryKeysSql = `
SELECT tc.table_name::text AS table_name, kcu.column_name::text AS column_name
FROM information_schema.table_constraints AS tc
JOIN information_schema.key_column_usage AS kcu
  ON kcu.constraint_schema = tc.constraint_schema AND kcu.constraint_name = tc.constraint_name AND kcu.table_name = tc.table_name
WHERE tc.constraint_type = 'PRIMARY KEY'
  AND tc.table_schema = current_schema()
  AND tc.table_name IN (SELECT jsonb_array_elements_text($1::jsonb))
ORDER BY tc.table_name, kcu.ordinal_position`;

// pg_catalog rather than information_schema: constraint names are unique per table only, which makes the
// information_schema join between a foreign key and the key it references ambiguous.
export const foreignKeysSql = `
SELECT con.conname::text AS constraint_name, child.relname::text AS child_table, ca.attname::text AS child_column,
       parent.relname::text AS parent_table, pa.attname::text AS parent_column
FROM pg_constraint AS con
JOIN pg_class AS child ON child.oid = con.conrelid
JOIN pg_class AS parent ON parent.oid = con.confrelid
JOIN pg_namespace AS ns ON ns.oid = child.relnamespace
CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(child_att, parent_att, position)
JOIN pg_attribute AS ca ON ca.attrelid = con.conrelid AND ca.attnum = k.child_att
JOIN pg_attribute AS pa ON pa.attrelid = con.confrelid AND pa.attnum = k.parent_att
WHERE con.contype = 'f'
  AND ns.nspname = current_schema()
  AND parent.relname IN (SELECT jsonb_array_elements_text($1::jsonb))
ORDER BY child.relname, con.conname, k.position`;

const FAMILIES: Record<string, ValueFamily> = {
  smallint: 'int',
  integer: 'int',
  bigint: 'int',
  numeric: 'decimal',
  money: 'decimal',
  real: 'float',
  'double precision': 'float',
  text: 'string',
  'character varying': 'string',
  character: 'string',
  boolean: 'bool',
  date: 'date',
  'time without time zone': 'time',
  'time with time zone': 'time',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
  uuid: 'uuid',
  bytea: 'binary',
  json: 'json',
  jsonb: 'json',
};

/**
 * Text columns get no cast: an explicit cast to varchar(n) would silently cut a long value, while the INSERT's
 * assignment refuses it ("value too long"). Other types are cast without their modifier (numeric, not
 * numeric(18,4)) for the same reason: the assignment to the column then reports overflow instead of rounding.
 */
export function columnType(row: CatalogColumnRow): { family: ValueFamily | null; castType: string | null } {
  const family = FAMILIES[row.data_type] ?? null;
  if (family === null || family === 'string' || family === 'binary') return { family, castType: null };
  return { family, castType: row.data_type };
}
