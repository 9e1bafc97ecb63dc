import type { SyncRow } from '@goldpdv/core';
import { quoteIdentifier, quoteTable } from './sql-identifiers.js';
import type { ChildLink, ColumnPlan, TablePlan } from './table-plan.js';

/**
 * SQL Server statements of the apply step: the page is one nvarchar(max) JSON parameter read by OPENJSON ... WITH,
 * text columns as nvarchar(max), binary columns as varbinary(max) (OPENJSON decodes base64 itself), everything
 * else cast to the column's exact type: one MERGE per page, one DELETE per page for tombstones.
 */
const q = (name: string) => quoteIdentifier('mssql', name);

export function valueOf(column: ColumnPlan, ref: string): string {
  const local = column.local;
  if (local.family === 'binary' || local.castType === null) return ref;
  return `CAST(${ref} AS ${local.castType})`;
}

export function openJson(param: string, columns: readonly ColumnPlan[], alias: string, withPosition = false): string {
  const definitions = columns.map((column) => `${q(column.central)} ${column.local.family === 'binary' ? 'varbinary(max)' : 'nvarchar(max)'} '$."${column.central}"'`);
  if (withPosition) definitions.unshift(`[#position] int '$."#"'`);
  return `OPENJSON(${param}) WITH (${definitions.join(', ')}) AS ${alias}`;
}

export function keyMatches(table: TablePlan, alias: string, source: string): string {
  return table.keyColumns.map((column) => `${alias}.${q(column.local.name)} = ${valueOf(column, `${source}.${q(column.central)}`)}`).join(' AND ');
}

/** The parameters of upsertSql: the rows as one JSON array (central names), read by OPENJSON. */
export function upsertParams(_columns: readonly ColumnPlan[], rows: readonly SyncRow[]): unknown[] {
  return [JSON.stringify(rows)];
}

export function upsertSql(table: TablePlan, columns: readonly ColumnPlan[]): string {
  const keyNames = new Set(table.keyColumns.map((column) => column.local.name));
  const updates = columns.filter((column) => !keyNames.has(column.local.name)).map((column) => `t.${q(column.local.name)} = s.${q(column.local.name)}`);
  const targets = columns.map((column) => q(column.local.name)).join(', ');
  return [
    `MERGE ${quoteTable('mssql', table.localTable)} WITH (HOLDLOCK) AS t`,
    `USING (SELECT ${columns.map((column) => `${valueOf(column, `r.${q(column.central)}`)} AS ${q(column.local.name)}`).join(', ')}`,
    `       FROM ${openJson('@p1', columns, 'r')}) AS s`,
    `ON ${table.keyColumns.map((column) => `t.${q(column.local.name)} = s.${q(column.local.name)}`).join(' AND ')}`,
    ...(updates.length === 0 ? [] : [`WHEN MATCHED THEN UPDATE SET ${updates.join(', ')}`]),
    `WHEN NOT MATCHED BY TARGET THEN INSERT (${targets}) VALUES (${columns.map((column) => `s.${q(column.local.name)}`).join(', ')});`,
  ].join('\n');
}

export function keyListPredicate(table: TablePlan, param = '@p1'): (alias: string) => string {
  return (alias) => `EXISTS (SELECT 1 FROM ${openJson(param, table.keyColumns, 'k')} WHERE ${keyMatches(table, alias, 'k')})`;
}

export function notReferenced(references: readonly ChildLink[], alias: string): string {
  return references
    .map((link, i) => {
      const join = link.childColumns.map((column, j) => `r${i}.${q(column)} = ${alias}.${q(link.parentColumns[j]!)}`).join(' AND ');
      return `NOT EXISTS (SELECT 1 FROM ${quoteTable('mssql', link.childTable)} AS r${i} WHERE ${join})`;
    })
    .join(' AND ');
}

export function deleteWhere(table: TablePlan, predicate: string): string {
  return `DELETE t FROM ${quoteTable('mssql', table.localTable)} AS t WHERE ${predicate};`;
}

/** Text forms that CAST reads back exactly (ISO 8601 styles for dates and times). */
function keyText(column: ColumnPlan, ref: string): string {
  switch (column.local.family) {
    case 'string':
      return ref;
    case 'date':
      return `CONVERT(nvarchar(10), ${ref}, 23)`;
    case 'timestamp':
      return `CONVERT(nvarchar(40), ${ref}, 126)`;
    case 'timestamptz':
      return `CONVERT(nvarchar(40), ${ref}, 127)`;
    default:
      return `CONVERT(nvarchar(100), ${ref})`;
  }
}

export function selectKeysWhere(table: TablePlan, predicate: string): string {
  const keys = table.keyColumns.map((column) => `${keyText(column, `t.${q(column.local.name)}`)} AS ${q(column.central)}`).join(', ');
  return `SELECT ${keys} FROM ${quoteTable('mssql', table.localTable)} AS t WHERE ${predicate};`;
}

export function keysNotInSql(table: TablePlan): string {
  const names = table.keyColumns.map((column) => `p.${q(column.central)}`).join(', ');
  const same = table.keyColumns.map((column) => `${valueOf(column, `u.${q(column.central)}`)} = ${valueOf(column, `p.${q(column.central)}`)}`).join(' AND ');
  return `SELECT ${names} FROM ${openJson('@p1', table.keyColumns, 'p')} WHERE NOT EXISTS (SELECT 1 FROM ${openJson('@p2', table.keyColumns, 'u')} WHERE ${same});`;
}

/** "left > right" in key order, written out since T-SQL has no row-value comparison: a > x OR (a = x AND b > y)... */
function keyAbove(left: readonly string[], right: readonly string[]): string {
  const build = (i: number): string => {
    if (i === left.length - 1) return `${left[i]} > ${right[i]}`;
    return `(${left[i]} > ${right[i]} OR (${left[i]} = ${right[i]} AND ${build(i + 1)}))`;
  };
  return `(${build(0)})`;
}

export function staleRangePredicate(table: TablePlan, bounds: { lower: boolean; upper: boolean }): (alias: string) => string {
  const bound = (param: string) => table.keyColumns.map((column) => valueOf(column, `JSON_VALUE(${param}, '$."${column.central}"')`));
  return (alias) => {
    const key = table.keyColumns.map((column) => `${alias}.${q(column.local.name)}`);
    const parts: string[] = [];
    if (bounds.lower) parts.push(keyAbove(key, bound('@p2')));
    if (bounds.upper) parts.push(`NOT ${keyAbove(key, bound(bounds.lower ? '@p3' : '@p2'))}`);
    parts.push(`NOT ${keyListPredicate(table)(alias)}`);
    return parts.join(' AND ');
  };
}

export function keyOrderCheckSql(table: TablePlan): string {
  const keys = table.keyColumns;
  const current = keys.map((column, i) => `${valueOf(column, `k.${q(column.central)}`)} AS k${i}`);
  const previous = keys.map((column, i) => `LAG(${valueOf(column, `k.${q(column.central)}`)}) OVER (ORDER BY k.[#position]) AS p${i}`);
  const names = (prefix: string) => keys.map((_, i) => `s.${prefix}${i}`);
  return [
    `SELECT COUNT_BIG(*) AS out_of_order FROM (`,
    `  SELECT ${[...current, ...previous].join(', ')}, ROW_NUMBER() OVER (ORDER BY k.[#position]) AS n`,
    `  FROM ${openJson('@p1', keys, 'k', true)}`,
    `) AS s WHERE s.n > 1 AND NOT ${keyAbove(names('k'), names('p'))};`,
  ].join('\n');
}
