import { quoteIdentifier, type SyncRow } from '@goldpdv/core';
import type { LocalName } from '../plan/local-name.js';
import type { ColumnPlan, TablePlan } from '../plan/table-plan.js';
import { sqlServerRefusal } from '../plan/value-checks.js';
import type { IdentityInsert, SequenceMove } from './apply-store.js';

/**
 * SQL Server statements of the apply step: the page is one nvarchar(max) JSON parameter read by OPENJSON ... WITH,
 * text columns as varchar(max) or nvarchar(max) after the local column (see jsonType), binary columns as
 * varbinary(max) (OPENJSON decodes base64 itself), everything else cast to the column's exact type: one MERGE per
 * page, one DELETE per page for tombstones.
 */
export const quote = (name: string): string => quoteIdentifier('mssql', name);
const q = quote;
/** A local table, in its schema (dbo when the mapping names none). */
export const localTable = (name: LocalName): string => `${name.schema === null || name.schema === 'dbo' ? 'dbo' : q(name.schema)}.${q(name.name)}`;

/**
 * A JSON path to a property, as a T-SQL literal: the name in double quotes (\ and " escaped for the path), the
 * literal's own quote doubled, N'...' when the name is not plain ASCII so that no code page changes it.
 */
export function jsonPath(name: string): string {
  const path = `$."${name.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`.replaceAll("'", "''");
  return /^[\x20-\x7e]*$/.test(name) ? `'${path}'` : `N'${path}'`;
}

/**
 * datetime and smalldatetime accept at most three fractional digits in text: CAST(N'2026-11-30T10:15:00.1234567'
 * AS datetime) fails with error 241, and datetime2(7) values travel with seven. Read as datetime2(7) first, the
 * value converts, rounded to the column's own precision as SQL Server rounds datetime2 to datetime.
 */
const THROUGH_DATETIME2 = new Set(['datetime', 'smalldatetime']);

/** Text (as read from JSON) to the column's type; every wire value the apply writes or compares goes through here. */
export function valueOf(column: ColumnPlan, ref: string): string {
  const local = column.local;
  if (local.type === 'binary' || local.castType === null) return ref;
  if (THROUGH_DATETIME2.has(local.castType)) return `CAST(CAST(${ref} AS datetime2(7)) AS ${local.castType})`;
  return `CAST(${ref} AS ${local.castType})`;
}

/** char, varchar and text hold non-Unicode text: a value compared with them must be varchar too. */
const isVarcharColumn = (column: ColumnPlan): boolean => /^(?:var)?char$|^text$/.test(column.local.dataType.toLowerCase());

/**
 * The type OPENJSON ... WITH reads a column's JSON value as. A value compared with a varchar key column must be
 * varchar: as nvarchar (the JSON type) it has the higher precedence, SQL Server converts the column instead,
 * and under the SQL_* collations that rules out the index seek. Unicode and other columns read as nvarchar(max)
 * and are cast from there (valueOf).
 */
function jsonType(column: ColumnPlan): string {
  if (column.local.type === 'binary') return 'varbinary(max)';
  return isVarcharColumn(column) ? 'varchar(max)' : 'nvarchar(max)';
}

/** A JSON_VALUE (nvarchar(4000)) read as the column's type, varchar for a varchar column (see jsonType). */
function jsonValueOf(column: ColumnPlan, jsonValue: string): string {
  return isVarcharColumn(column) ? `CAST(${jsonValue} AS varchar(max))` : valueOf(column, jsonValue);
}

export function openJson(param: string, columns: readonly ColumnPlan[], alias: string, withPosition = false): string {
  const definitions = columns.map((column) => `${q(column.central)} ${jsonType(column)} ${jsonPath(column.central)}`);
  if (withPosition) definitions.unshift(`[#position] int '$."#"'`);
  return `OPENJSON(${param}) WITH (${definitions.join(', ')}) AS ${alias}`;
}

export function keyMatches(table: TablePlan, alias: string, source: string): string {
  return table.keyColumns.map((column) => `${alias}.${q(column.local.name)} = ${valueOf(column, `${source}.${q(column.central)}`)}`).join(' AND ');
}

/**
 * The parameters of upsertSql: the rows as one JSON array (central names), read by OPENJSON. A value SQL Server
 * has no form for (a float NaN, infinity or -0, a time of 24:00:00, an infinite or BC date) is never written
 * changed: the upsert is refused with an error naming the column, and the row isolation (isolate-rows.ts) sets
 * that row aside in sync_rejected_row with the reason, while the page's other rows go in.
 */
export function upsertParams(columns: readonly ColumnPlan[], rows: readonly SyncRow[]): unknown[] {
  for (const row of rows) {
    for (const column of columns) {
      const refusal = sqlServerRefusal(column.local, row[column.central]);
      if (refusal !== null) throw new UnrepresentableValueError(column.local.name, refusal);
    }
  }
  return [JSON.stringify(rows)];
}

/** A wire value the local SQL Server column cannot hold exactly; its message names the column as rejected-row.ts reads it. */
export class UnrepresentableValueError extends Error {
  constructor(
    readonly column: string,
    reason: string,
  ) {
    super(`column '${column}': ${reason}; the row is refused rather than stored changed`);
  }
}

/**
 * An IDENTITY column takes a pulled value only while IDENTITY_INSERT is on for its table (one table per session).
 * SQL Server then moves the identity's current value past the inserted one itself, so later local inserts do not
 * collide. apply-store.ts turns it off again whatever the upsert did.
 */
export function identityInsert(table: TablePlan, columns: readonly ColumnPlan[]): IdentityInsert | null {
  if (!columns.some((column) => column.local.identity !== null)) return null;
  const name = localTable(table.local);
  return { on: `SET IDENTITY_INSERT ${name} ON;`, off: `SET IDENTITY_INSERT ${name} OFF;` };
}

/** Nothing to move on SQL Server (see identityInsert). */
export function sequenceMoves(): SequenceMove[] {
  return [];
}

/** Types EXCEPT (and =) cannot compare: a page that maps one of them updates every matched row. */
const UNCOMPARABLE = new Set(['text', 'ntext', 'image', 'xml']);

/**
 * What tells a row's mapped value from the page's, exactly. EXCEPT compares NULLs as equal, which is what a
 * "changed?" test needs, but it compares text under the column's collation: under the default ones case and
 * trailing spaces do not count, and a name corrected from "jose" to "José"'s case would be skipped. So text is
 * compared as the bytes of its nvarchar(max) form (the same for a varchar and an nvarchar spelling of one text),
 * with its length, as binary is: a comparison of binary values of different lengths is not one to rely on.
 * datetimeoffset compares instants, so its offset is compared too. Everything else is cast to the column's own
 * type on the way in (valueOf) and compares exactly as it is.
 */
function comparedValues(column: ColumnPlan, alias: string): string[] {
  const ref = `${alias}.${q(column.local.name)}`;
  if (column.local.type === 'string' && isFixedLength(column)) {
    // char(n) and nchar(n) store the value padded with spaces to n, and the wire value comes without them: as
    // SQL Server's own = does, trailing spaces do not count, so both sides are compared without them.
    const bytes = `CONVERT(varbinary(max), CONVERT(nvarchar(max), RTRIM(${ref})))`;
    return [bytes, `DATALENGTH(${bytes})`];
  }
  if (column.local.type === 'string') {
    const bytes = `CONVERT(varbinary(max), CONVERT(nvarchar(max), ${ref}))`;
    return [bytes, `DATALENGTH(${bytes})`];
  }
  if (column.local.type === 'binary') return [ref, `DATALENGTH(${ref})`];
  if (column.local.dataType.toLowerCase() === 'datetimeoffset') return [ref, `DATEPART(TZOFFSET, ${ref})`];
  return [ref];
}

const isFixedLength = (column: ColumnPlan): boolean => /^n?char$/.test(column.local.dataType.toLowerCase());

/**
 * The page's rows in one MERGE. A matched row is only updated when one of the page's mapped columns differs
 * (WHEN MATCHED AND EXISTS (SELECT s... EXCEPT SELECT t...)), so re-applying a page (a window read again after a
 * restart, a snapshot over rows already there) writes nothing: no log, no lock escalation, no trigger, no
 * rowversion bump for the POS to notice. Columns the page does not map are left out, whatever the local table
 * has. When the page maps a text, ntext, image or xml column, which cannot be compared, every matched row is
 * updated as before: leaving such a column out of the comparison would skip a row whose only change is there.
 */
export function upsertSql(table: TablePlan, columns: readonly ColumnPlan[]): string {
  const keyNames = new Set(table.keyColumns.map((column) => column.local.name));
  // An IDENTITY column cannot be updated (nor can its central twin change a row's id): it is inserted only.
  const values = columns.filter((column) => !keyNames.has(column.local.name) && column.local.identity === null);
  const updates = values.map((column) => `t.${q(column.local.name)} = s.${q(column.local.name)}`);
  const targets = columns.map((column) => q(column.local.name)).join(', ');
  const comparable = values.every((column) => !UNCOMPARABLE.has(column.local.dataType.toLowerCase()));
  const changed = comparable
    ? ` AND EXISTS (SELECT ${values.flatMap((column) => comparedValues(column, 's')).join(', ')} EXCEPT SELECT ${values.flatMap((column) => comparedValues(column, 't')).join(', ')})`
    : '';
  return [
    `MERGE ${localTable(table.local)} WITH (HOLDLOCK) AS t`,
    `USING (SELECT ${columns.map((column) => `${valueOf(column, `r.${q(column.central)}`)} AS ${q(column.local.name)}`).join(', ')}`,
    `       FROM ${openJson('@p1', columns, 'r')}) AS s`,
    `ON ${table.keyColumns.map((column) => `t.${q(column.local.name)} = s.${q(column.local.name)}`).join(' AND ')}`,
    ...(updates.length === 0 ? [] : [`WHEN MATCHED${changed} THEN UPDATE SET ${updates.join(', ')}`]),
    `WHEN NOT MATCHED BY TARGET THEN INSERT (${targets}) VALUES (${columns.map((column) => `s.${q(column.local.name)}`).join(', ')});`,
  ].join('\n');
}

export function keyListPredicate(table: TablePlan, param = '@p1'): (alias: string) => string {
  return (alias) => `EXISTS (SELECT 1 FROM ${openJson(param, table.keyColumns, 'k')} WHERE ${keyMatches(table, alias, 'k')})`;
}

export function deleteWhere(table: TablePlan, predicate: string): string {
  return `DELETE t FROM ${localTable(table.local)} AS t WHERE ${predicate};`;
}

/** Text forms that CAST reads back exactly (ISO 8601 styles for dates and times). */
function keyText(column: ColumnPlan, ref: string): string {
  switch (column.local.type) {
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
  return `SELECT ${keys} FROM ${localTable(table.local)} AS t WHERE ${predicate};`;
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
  const bound = (param: string) => table.keyColumns.map((column) => jsonValueOf(column, `JSON_VALUE(${param}, ${jsonPath(column.central)})`));
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
