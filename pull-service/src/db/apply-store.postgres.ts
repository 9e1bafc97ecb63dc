import { quoteIdentifier, quoteNameLiteral, quoteQualifiedName, type SyncRow } from '@goldpdv/core';
import type { LocalName } from '../plan/local-name.js';
import type { ColumnPlan, TablePlan } from '../plan/table-plan.js';
import type { IdentityInsert, SequenceMove } from './apply-store.js';

/**
 * PostgreSQL statements of the apply step. Key lists travel as one JSON parameter, read by jsonb_to_recordset
 * with every column as text; the upserted rows travel as one text[] parameter per column, read by unnest. Either
 * way each value is converted in SQL (see valueOf): one statement per page, however many rows it has, and no
 * value ever passes through a JS number or Date.
 */
export const quote = (name: string): string => quoteIdentifier('postgres', name);
const q = quote;
/** A local table, in its schema (as the catalog spells it). */
export const localTable = (name: LocalName): string => quoteQualifiedName('postgres', name.schema, name.name);

/** Text (as read from JSON) to the column's type. */
export function valueOf(column: ColumnPlan, ref: string): string {
  const local = column.local;
  if (local.type === 'binary') return `decode(${ref}, 'base64')`;
  if (local.castType === null) return ref;
  return `(${ref})::${local.castType}`;
}

export function recordset(param: string, columns: readonly ColumnPlan[], alias: string, withPosition = false): string {
  const definitions = columns.map((column) => `${q(column.central)} text`);
  if (withPosition) definitions.unshift(`"#" integer`);
  return `jsonb_to_recordset(${param}::jsonb) AS ${alias}(${definitions.join(', ')})`;
}

export function keyMatches(table: TablePlan, alias: string, source: string): string {
  return table.keyColumns.map((column) => `${alias}.${q(column.local.name)} = ${valueOf(column, `${source}.${q(column.central)}`)}`).join(' AND ');
}

/** A mapped column's value as compared to tell a changed row: json has no equality operator, its text does. */
function comparedValue(column: ColumnPlan, ref: string): string {
  return column.local.castType === 'json' ? `${ref}::text` : ref;
}

/**
 * INSERT ... SELECT FROM unnest($1::text[], ..., $n::text[]) ON CONFLICT (key) DO UPDATE: the whole page in one
 * statement, parameter i holding column i of every row (upsertParams). Per-column text arrays cost the server
 * less to read than one jsonb document (no jsonb tree built at bind, no key lookups per row), and the values
 * reach the same casts as text either way.
 *
 * A conflicting row is only updated when a mapped column differs (DO UPDATE ... WHERE (t.a, ...) IS DISTINCT
 * FROM (EXCLUDED.a, ...)), so re-applying a page writes no new row version, as the SQL Server twin's MERGE skips
 * it. IS DISTINCT FROM compares NULLs as equal and text exactly, so no column type needs the care it takes on
 * SQL Server; json (no equality operator) compares as text.
 */
export function upsertSql(table: TablePlan, columns: readonly ColumnPlan[]): string {
  const keyNames = new Set(table.keyColumns.map((column) => column.local.name));
  // A GENERATED ALWAYS identity cannot be updated (nor can its central twin change a row's id): it is inserted only.
  const values = columns.filter((column) => !keyNames.has(column.local.name) && column.local.identity !== 'always');
  const updates = values.map((column) => `${q(column.local.name)} = EXCLUDED.${q(column.local.name)}`);
  const row = (alias: string) => `(${values.map((column) => comparedValue(column, `${alias}.${q(column.local.name)}`)).join(', ')})`;
  // A GENERATED ALWAYS identity takes a given value only when the INSERT says so; BY DEFAULT takes it anyway.
  const overriding = columns.some((column) => column.local.identity === 'always') ? ' OVERRIDING SYSTEM VALUE' : '';
  return [
    `INSERT INTO ${localTable(table.local)} AS t (${columns.map((column) => q(column.local.name)).join(', ')})${overriding}`,
    `SELECT ${columns.map((column) => valueOf(column, `r.${q(column.central)}`)).join(', ')}`,
    `FROM unnest(${columns.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS r(${columns.map((column) => q(column.central)).join(', ')})`,
    `ON CONFLICT (${table.keyColumns.map((column) => q(column.local.name)).join(', ')})`,
    updates.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${updates.join(', ')}\nWHERE ${row('t')} IS DISTINCT FROM ${row('EXCLUDED')}`,
  ].join('\n');
}

/**
 * The parameters of upsertSql: one array per column, in `columns` order, of each row's value as the text that
 * JSON would have carried (numbers and booleans as JSON writes them, which is also what String gives).
 */
export function upsertParams(columns: readonly ColumnPlan[], rows: readonly SyncRow[]): unknown[] {
  return columns.map((column) =>
    rows.map((row) => {
      const value = row[column.central];
      if (value === null || value === undefined) return null;
      // JSON.parse gives -0 for a bare -0, which String() would write as "0".
      return typeof value === 'number' && Object.is(value, -0) ? '-0' : String(value);
    }),
  );
}

/** "row `alias` is one of the keys in `param`" (tombstones, pending deletes). */
export function keyListPredicate(table: TablePlan, param = '$1'): (alias: string) => string {
  return (alias) => `EXISTS (SELECT 1 FROM ${recordset(param, table.keyColumns, 'k')} WHERE ${keyMatches(table, alias, 'k')})`;
}

export function deleteWhere(table: TablePlan, predicate: string): string {
  return `DELETE FROM ${localTable(table.local)} AS t WHERE ${predicate}`;
}

/** The keys (as text, under their central names) of the rows `predicate` selects. */
export function selectKeysWhere(table: TablePlan, predicate: string): string {
  const keys = table.keyColumns.map((column) => `t.${q(column.local.name)}::text AS ${q(column.central)}`).join(', ');
  return `SELECT ${keys} FROM ${localTable(table.local)} AS t WHERE ${predicate}`;
}

/** The keys of $1 (pending deletes) that are not among the keys of $2 (rows upserted again), as text. */
export function keysNotInSql(table: TablePlan): string {
  const names = table.keyColumns.map((column) => `p.${q(column.central)}`).join(', ');
  const same = table.keyColumns.map((column) => `${valueOf(column, `u.${q(column.central)}`)} = ${valueOf(column, `p.${q(column.central)}`)}`).join(' AND ');
  return `SELECT ${names} FROM ${recordset('$1', table.keyColumns, 'p')} WHERE NOT EXISTS (SELECT 1 FROM ${recordset('$2', table.keyColumns, 'u')} WHERE ${same})`;
}

/**
 * "row `alias` lies after the previous page's last key ($2) and up to this page's last key ($3, or $2 when there
 * is no lower bound), and is not one of this page's keys ($1)": the rows a snapshot page says are gone.
 * Row comparison follows the primary key's own order, so the index on it serves the range.
 */
export function staleRangePredicate(table: TablePlan, bounds: { lower: boolean; upper: boolean }): (alias: string) => string {
  const bound = (param: string) => `(${table.keyColumns.map((column) => valueOf(column, `(${param}::jsonb ->> ${quoteNameLiteral('postgres', column.central)})`)).join(', ')})`;
  return (alias) => {
    const key = `(${table.keyColumns.map((column) => `${alias}.${q(column.local.name)}`).join(', ')})`;
    const parts: string[] = [];
    if (bounds.lower) parts.push(`${key} > ${bound('$2')}`);
    if (bounds.upper) parts.push(`${key} <= ${bound(bounds.lower ? '$3' : '$2')}`);
    parts.push(`NOT ${keyListPredicate(table, '$1')(alias)}`);
    return parts.join(' AND ');
  };
}

/** How many keys of $1 (in "#" order) are not strictly above the one before: 0 when the local order agrees. */
export function keyOrderCheckSql(table: TablePlan): string {
  const keys = table.keyColumns;
  const current = keys.map((column, i) => `${valueOf(column, `k.${q(column.central)}`)} AS k${i}`);
  const previous = keys.map((column, i) => `lag(${valueOf(column, `k.${q(column.central)}`)}) OVER (ORDER BY k."#") AS p${i}`);
  const tuple = (prefix: string) => `(${keys.map((_, i) => `s.${prefix}${i}`).join(', ')})`;
  return [
    `SELECT count(*) AS out_of_order FROM (`,
    `  SELECT ${[...current, ...previous].join(', ')}, row_number() OVER (ORDER BY k."#") AS n`,
    `  FROM ${recordset('$1', keys, 'k', true)}`,
    `) AS s WHERE s.n > 1 AND NOT (${tuple('k')} > ${tuple('p')})`,
  ].join('\n');
}

/** PostgreSQL needs no IDENTITY_INSERT: OVERRIDING SYSTEM VALUE is part of the INSERT (upsertSql). */
export function identityInsert(): IdentityInsert | null {
  return null;
}

/**
 * A pulled value in an identity or serial column does not move the sequence behind it, so a later local INSERT
 * would be given an id the pull already used. After the page, each such sequence is set to the page's highest
 * value when that is above where the sequence stands (never backwards): $1 the table, $2 the column, $3 the value.
 * pg_sequence_last_value is NULL while the sequence was never used; its next value is then its start, so any
 * positive pulled value moves it.
 */
const SEQUENCE_MOVE = `SELECT setval(s.seq, $3::bigint) FROM (SELECT pg_get_serial_sequence($1, $2) AS seq) AS s
WHERE s.seq IS NOT NULL AND $3::bigint > coalesce(pg_sequence_last_value(s.seq::regclass), 0)`;

export function sequenceMoves(table: TablePlan, columns: readonly ColumnPlan[], rows: readonly SyncRow[]): SequenceMove[] {
  const moves: SequenceMove[] = [];
  for (const column of columns) {
    if (column.local.identity === null) continue;
    let highest: bigint | null = null;
    for (const row of rows) {
      const value = row[column.central];
      if (value === null || value === undefined || typeof value === 'boolean' || !/^-?\d+$/.test(String(value))) continue;
      const n = BigInt(value);
      if (highest === null || n > highest) highest = n;
    }
    if (highest !== null) moves.push({ sql: SEQUENCE_MOVE, params: [localTable(table.local), column.local.name, highest.toString()] });
  }
  return moves;
}
