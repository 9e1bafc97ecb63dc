import type { ColumnType } from '@goldpdv/core';
import type { CatalogColumnRow } from './local-schema.js';

/**
 * Catalog queries for PostgreSQL. $1 is a JSON array of {schema, name}; a null schema is current_schema(). Names
 * match exactly, as quoted names do.
 */

const WANTED = `wanted AS (SELECT coalesce(w ->> 'schema', current_schema()) AS s, w ->> 'name' AS n FROM jsonb_array_elements($1::jsonb) AS w)`;

export const defaultSchemaSql = `SELECT current_schema()::text AS default_schema`;

// has_default: a DEFAULT, an identity or a generated column fills itself when an INSERT leaves it out.
// identity_kind: an identity column's generation, or 'by-default' for a serial (a nextval default), whose
// sequence must be moved past pulled values just the same.
export const columnsSql = `
WITH ${WANTED}
SELECT c.table_schema::text AS table_schema, c.table_name::text AS table_name, c.column_name::text AS column_name, c.data_type::text AS data_type,
       c.character_maximum_length, c.numeric_precision, c.numeric_scale, c.datetime_precision, c.is_nullable::text AS is_nullable,
       (c.column_default IS NOT NULL OR c.is_identity = 'YES' OR c.is_generated = 'ALWAYS') AS has_default,
       CASE WHEN c.is_identity = 'YES' THEN CASE WHEN c.identity_generation = 'ALWAYS' THEN 'always' ELSE 'by-default' END
            WHEN c.column_default LIKE 'nextval(%' THEN 'by-default' END AS identity_kind,
       (c.is_generated = 'ALWAYS') AS is_generated
FROM information_schema.columns AS c
JOIN wanted ON c.table_schema = wanted.s AND c.table_name = wanted.n
ORDER BY c.table_schema, c.table_name, c.ordinal_position`;

export const primaryKeysSql = `
WITH ${WANTED}
SELECT tc.table_schema::text AS table_schema, tc.table_name::text AS table_name, kcu.column_name::text AS column_name
FROM information_schema.table_constraints AS tc
JOIN information_schema.key_column_usage AS kcu
  ON kcu.constraint_schema = tc.constraint_schema AND kcu.constraint_name = tc.constraint_name AND kcu.table_name = tc.table_name
JOIN wanted ON tc.table_schema = wanted.s AND tc.table_name = wanted.n
WHERE tc.constraint_type = 'PRIMARY KEY'
ORDER BY tc.table_schema, tc.table_name, kcu.ordinal_position`;

// pg_catalog rather than information_schema: constraint names are unique per table only, which makes the
// information_schema join between a foreign key and the key it references ambiguous.
export const foreignKeysSql = `
WITH ${WANTED}
SELECT con.conname::text AS constraint_name, child_ns.nspname::text AS child_schema, child.relname::text AS child_table, ca.attname::text AS child_column,
       parent_ns.nspname::text AS parent_schema, parent.relname::text AS parent_table, pa.attname::text AS parent_column
FROM pg_constraint AS con
JOIN pg_class AS child ON child.oid = con.conrelid
JOIN pg_class AS parent ON parent.oid = con.confrelid
JOIN pg_namespace AS child_ns ON child_ns.oid = child.relnamespace
JOIN pg_namespace AS parent_ns ON parent_ns.oid = parent.relnamespace
CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(child_att, parent_att, position)
JOIN pg_attribute AS ca ON ca.attrelid = con.conrelid AND ca.attnum = k.child_att
JOIN pg_attribute AS pa ON pa.attrelid = con.confrelid AND pa.attnum = k.parent_att
WHERE con.contype = 'f'
  AND EXISTS (SELECT 1 FROM wanted WHERE wanted.s = parent_ns.nspname AND wanted.n = parent.relname)
ORDER BY child_ns.nspname, child.relname, con.conname, k.position`;

/** Catalog type to the contract's column type. json and jsonb travel as strings; their cast is kept (columnType). */
const TYPES: Record<string, ColumnType> = {
  smallint: 'int',
  integer: 'int',
  bigint: 'bigint',
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
  json: 'string',
  jsonb: 'string',
};

const JSON_TYPES: ReadonlySet<string> = new Set(['json', 'jsonb']);

export const namesIgnoreCase = false;

/**
 * Text columns get no cast: an explicit cast to varchar(n) would silently cut a long value, while the INSERT's
 * assignment refuses it ("value too long"). Other types are cast without their modifier (numeric, not
 * numeric(18,4)) for the same reason: the assignment to the column then reports overflow instead of rounding.
 * json and jsonb take strings and keep their cast, so a document is parsed (and checked) on the way in.
 */
export function columnType(row: CatalogColumnRow): { type: ColumnType | null; castType: string | null } {
  const type = TYPES[row.data_type] ?? null;
  const isText = type === 'string' && !JSON_TYPES.has(row.data_type);
  if (type === null || type === 'binary' || isText) return { type, castType: null };
  return { type, castType: row.data_type };
}
