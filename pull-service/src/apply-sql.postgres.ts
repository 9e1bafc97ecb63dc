import type { SyncRow } from '@goldpdv/core';
import { quoteIdentifier, quoteTable } from './sql-identifiers.js';
import type { ChildLink, ColumnPlan, TablePlan } from './table-plan.js';

/**
 * PostgreSQL statements of the apply step. Key lists travel as one JSON parameter, read by jsonb_to_recordset
 * with every column as text; the upserted rows travel as one text[] parameter per column, read by unnest. Either
 * way each value is converted in SQL (see valueOf): one statement per page, however many rows it has, and no
 * value ever passes through a JS number or Date.
 */
const q = (name: string) => quoteIdentifier('postgres', name);

/** Text (as read from JSON) to the column's type. */
export function valueOf(column: ColumnPlan, ref: string): string {
  const local = column.local;
  if (local.family === 'binary') return `decode(${ref}, 'base64')`;
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

/**
 * INSERT ... SELECT FROM unnest($1::text[], ..., $n::text[]) ON CONFLICT (key) DO UPDATE: the whole page in one
 * statement, parameter i holding column i of every row (upsertParams). Per-column text arrays cost the server
 * less to read than one jsonb document (no jsonb tree built at bind, no key lookups per row), and the values
 * reach the same casts as text either way.
 */
export function upsertSql(table: TablePlan, columns: readonly ColumnPlan[]): string {
  const keyNames = new Set(table.keyColumns.map((column) => column.local.name));
  const updates = columns.filter((column) => !keyNames.has(column.local.name)).map((column) => `${q(column.local.name)} = EXCLUDED.${q(column.local.name)}`);
  return [
    `INSERT INTO ${quoteTable('postgres', table.localTable)} (${columns.map((column) => q(column.local.name)).join(', ')})`,
    `SELECT ${columns.map((column) => valueOf(column, `r.${q(column.central)}`)).join(', ')}`,
    `FROM unnest(${columns.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS r(${columns.map((column) => q(column.central)).join(', ')})`,
    `ON CONFLICT (${table.keyColumns.map((column) => q(column.local.name)).join(', ')})`,
    updates.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${updates.join(', ')}`,
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
      return value === null || value === undefined ? null : String(value);
    }),
  );
}

/** "row `alias` is one of the keys in `param`" (tombstones, pending deletes). */
export function keyListPredicate(table: TablePlan, param = '$1'): (alias: string) => string {
  return (alias) => `EXISTS (SELECT 1 FROM ${recordset(param, table.keyColumns, 'k')} WHERE ${keyMatches(table, alias, 'k')})`;
}

/** "no local row refers to row `alias`": each foreign key that points at the table, pulled or not. */
export function notReferenced(references: readonly ChildLink[], alias: string): string {
  return references
    .map((link, i) => {
      const join = link.childColumns.map((column, j) => `r${i}.${q(column)} = ${alias}.${q(link.parentColumns[j]!)}`).join(' AND ');
      return `NOT EXISTS (SELECT 1 FROM ${quoteTable('postgres', link.childTable)} AS r${i} WHERE ${join})`;
    })
    .join(' AND ');
}

export function deleteWhere(table: TablePlan, predicate: string): string {
  return `DELETE FROM ${quoteTable('postgres', table.localTable)} AS t WHERE ${predicate}`;
}

/** The keys (as text, under their central names) of the rows `predicate` selects. */
export function selectKeysWhere(table: TablePlan, predicate: string): string {
  const keys = table.keyColumns.map((column) => `t.${q(column.local.name)}::text AS ${q(column.central)}`).join(', ');
  return `SELECT ${keys} FROM ${quoteTable('postgres', table.localTable)} AS t WHERE ${predicate}`;
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
  const bound = (param: string) => `(${table.keyColumns.map((column) => valueOf(column, `(${param}::jsonb ->> '${column.central}')`)).join(', ')})`;
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
