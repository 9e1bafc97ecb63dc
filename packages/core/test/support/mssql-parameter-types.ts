import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEMA_SQL } from '../../src/db/schema-sql.js';
import { loadSqlScript } from '../../src/db/sql-script.js';

/**
 * Finds the comparisons in a T-SQL statement where SQL Server would convert a varchar *column* to nvarchar.
 *
 * mssql binds a JavaScript string as nvarchar. Compared with a varchar column, nvarchar has the higher
 * precedence, so SQL Server converts the column; under the SQL_* collations that rules out an index seek and
 * the table is scanned (under range locks, inside UPDLOCK/HOLDLOCK). The same holds for OPENJSON columns, plain
 * OPENJSON's [key]/[value] and JSON_VALUE, which are all nvarchar. A comparison is safe when the nvarchar side is
 * converted to varchar first: CAST(@p1 AS varchar(32)) = t.pdv_id.
 *
 * The column types come from the project's own SQL Server scripts (CREATE TABLE and ALTER TABLE ... ADD), so a
 * column added there is known here. Tables created elsewhere (a customer's catalog) are not: the statements that
 * touch them are built from the local catalog's own types.
 */

export type ColumnTypes = ReadonlyMap<string, ReadonlyMap<string, string>>;

const COMMON = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../common/mssql');
const VARCHAR = /^(?:var)?char\b|^text\b/i;
const NVARCHAR_SOURCE = 'nvarchar';

let cached: Promise<ColumnTypes> | undefined;

/** Column types of every dbo table the SQL Server scripts create, lowercased names. */
export function mssqlColumnTypes(): Promise<ColumnTypes> {
  cached ??= (async () => {
    const types = new Map<string, Map<string, string>>();
    const files = readdirSync(COMMON, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.sql'))
      .map((entry) => join(entry.parentPath, entry.name));
    // The scripts, and the version table that the schema runner itself creates.
    const texts = [SCHEMA_SQL.mssql.createVersionTable.replace(/\n\)$/, '\n);')];
    for (const file of files) texts.push((await loadSqlScript(file, { dialect: 'mssql', variables: { CT_RETENTION_DAYS: '7' } })).text);
    for (const text of texts) {
      const clean = withoutComments(text);
      for (const [, table, body] of clean.matchAll(/CREATE TABLE dbo\.(\w+)\s*\(([\s\S]*?)\n\);/gi)) {
        const columns = types.get(table!.toLowerCase()) ?? new Map<string, string>();
        for (const [, name, type] of body!.matchAll(/^\s*\[?(\w+)\]?\s+(\w+)/gm)) {
          if (/^(CONSTRAINT|PRIMARY|UNIQUE|INDEX|FOREIGN|CHECK)$/i.test(name!)) continue;
          columns.set(name!.toLowerCase(), type!.toLowerCase());
        }
        types.set(table!.toLowerCase(), columns);
      }
      for (const [, table, name, type] of clean.matchAll(/ALTER TABLE dbo\.(\w+) ADD \[?(\w+)\]? (\w+)/gi)) {
        const columns = types.get(table!.toLowerCase()) ?? new Map<string, string>();
        columns.set(name!.toLowerCase(), type!.toLowerCase());
        types.set(table!.toLowerCase(), columns);
      }
    }
    return types;
  })();
  return cached;
}

const KEYWORDS = new Set(
  'with where set on join inner left right full cross outer output values select from when then as into group order having union merge using insert update delete and or not exists top option'.split(' '),
);

function withoutComments(sql: string): string {
  return sql.replace(/--.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

/** The statement with string literals blanked out, so that their contents are never read as SQL. */
function withoutLiterals(sql: string): string {
  return withoutComments(sql).replace(/N?'(?:[^']|'')*'/g, "''");
}

interface Scope {
  /** alias or table name (lowercased) → table name */
  tables: Map<string, string>;
  /** OPENJSON alias → its columns' types (nvarchar for plain OPENJSON's key/value) */
  json: Map<string, Map<string, string>>;
}

function scopeOf(sql: string, types: ColumnTypes): Scope {
  const tables = new Map<string, string>();
  for (const [, table, alias] of sql.matchAll(/(?:\bdbo|\[dbo\])\.\[?(\w+)\]?(?:\s+(?:AS\s+)?\[?(\w+)\]?)?/gi)) {
    const name = table!.toLowerCase();
    if (!types.has(name)) continue;
    tables.set(name, name);
    if (alias && !KEYWORDS.has(alias.toLowerCase())) tables.set(alias.toLowerCase(), name);
  }
  const json = new Map<string, Map<string, string>>();
  // OPENJSON(@p1) WITH (name type 'path', ...) AS alias
  for (const [, columns, alias] of sql.matchAll(/OPENJSON\s*\([^)]*\)\s*WITH\s*\(((?:[^()]|\([^()]*\))*)\)\s*(?:AS\s+)?(\w+)/gi)) {
    const described = new Map<string, string>();
    for (const [, name, type] of columns!.matchAll(/\[?(\w+)\]?\s+(\w+)/g)) described.set(name!.toLowerCase(), type!.toLowerCase());
    json.set(alias!.toLowerCase(), described);
  }
  // Plain OPENJSON(@p1) AS alias: [key], [value] and [type] are nvarchar.
  for (const [, alias] of sql.matchAll(/OPENJSON\s*\([^)]*\)\s*(?!WITH)(?:AS\s+)?(\w+)/gi)) {
    if (KEYWORDS.has(alias!.toLowerCase())) continue;
    json.set(alias!.toLowerCase(), new Map([['key', NVARCHAR_SOURCE], ['value', NVARCHAR_SOURCE], ['type', 'int']]));
  }
  return { tables, json };
}

/** The type of a column reference `q.name` or `name`, or null when it is not a known table column. */
function columnType(scope: Scope, types: ColumnTypes, qualifier: string | undefined, name: string): string | null {
  const column = name.toLowerCase();
  if (qualifier !== undefined) {
    const table = scope.tables.get(qualifier.toLowerCase());
    return table === undefined ? null : (types.get(table)?.get(column) ?? null);
  }
  for (const table of new Set(scope.tables.values())) {
    const type = types.get(table)?.get(column);
    if (type !== undefined) return type;
  }
  return null;
}

function jsonColumnType(scope: Scope, qualifier: string | undefined, name: string): string | null {
  if (qualifier === undefined) return null;
  return scope.json.get(qualifier.toLowerCase())?.get(name.toLowerCase()) ?? null;
}

const REF = String.raw`(?:\[?(\w+)\]?\.)?\[?(\w+)\]?`;
const OP = String.raw`\s*(?:=|<>|!=|<=|>=|<|>)\s*`;

/** Every comparison where a varchar column meets an nvarchar value without a CAST, as text for a message. */
export function untypedParameterComparisons(statement: string, types: ColumnTypes): string[] {
  const sql = withoutLiterals(statement);
  const scope = scopeOf(sql, types);
  const found: string[] = [];
  const isVarchar = (type: string | null) => type !== null && VARCHAR.test(type);
  const isNvarchar = (type: string | null) => type !== null && /^n(?:var)?char\b|^ntext\b/.test(type);

  // column op @pN, and @pN op column: the parameter is bound as nvarchar.
  for (const match of sql.matchAll(new RegExp(`${REF}${OP}(@p\\d+)\\b`, 'gi'))) {
    if (isVarchar(columnType(scope, types, match[1], match[2]!))) found.push(match[0]);
  }
  for (const match of sql.matchAll(new RegExp(`(?<![\\w(])(@p\\d+)${OP}${REF}`, 'gi'))) {
    if (isVarchar(columnType(scope, types, match[2], match[3]!))) found.push(match[0]);
  }
  // column op jsonAlias.column (either order): OPENJSON's columns are nvarchar unless declared otherwise.
  for (const match of sql.matchAll(new RegExp(`${REF}${OP}${REF}`, 'gi'))) {
    const left = { table: columnType(scope, types, match[1], match[2]!), json: jsonColumnType(scope, match[1], match[2]!) };
    const right = { table: columnType(scope, types, match[3], match[4]!), json: jsonColumnType(scope, match[3], match[4]!) };
    if ((isVarchar(left.table) && isNvarchar(right.json)) || (isVarchar(right.table) && isNvarchar(left.json))) found.push(match[0]);
  }
  // column op JSON_VALUE(...), which returns nvarchar(4000).
  for (const match of sql.matchAll(new RegExp(`${REF}${OP}JSON_VALUE\\s*\\(`, 'gi'))) {
    if (isVarchar(columnType(scope, types, match[1], match[2]!))) found.push(match[0]);
  }
  return found;
}

/** Throws, naming each comparison, when the statement makes SQL Server convert a varchar column. */
export async function expectTypedParameters(statement: string): Promise<void> {
  const found = untypedParameterComparisons(statement, await mssqlColumnTypes());
  if (found.length === 0) return;
  throw new Error(
    `nvarchar compared with a varchar column (SQL Server converts the column, so no index seek): ${found.map((f) => JSON.stringify(f.trim())).join(', ')}; CAST the parameter or the JSON value to the column's type\n--- statement ---\n${statement}`,
  );
}
