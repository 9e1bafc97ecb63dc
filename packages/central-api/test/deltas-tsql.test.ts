import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectValidTsql, parseTsql } from '../../core/test/support/tsql-grammar.js';
import { COLUMNS_SQL, FOREIGN_KEYS_SQL, TRACKED_KEYS_SQL } from '../src/deltas/catalog.mssql.js';
import { CHANGE_HEADS_SQL } from '../src/deltas/change-heads.mssql.js';
import { describeMssqlColumn, mssqlValueSql } from '../src/deltas/column-values.mssql.js';
import type { ChangesCursor, SnapshotCursor } from '../src/deltas/cursor.js';
import { DELTA_DIALECTS } from '../src/deltas/dialects.js';
import { changesSql } from '../src/deltas/read-changes.mssql.js';
import { snapshotSql } from '../src/deltas/read-snapshot.mssql.js';
import type { Catalog, CatalogColumn, ServedTable } from '../src/deltas/served-table.js';
import { SqlParamList } from '../src/deltas/sql-params.js';
import { buildServedTables } from '../src/deltas/table-registry.js';
import { WINDOW_STATE_SQL } from '../src/deltas/versions.mssql.js';

const CATALOG_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '../../../common/sqlserver/central/0001_sample_catalog.sql');

/** One table with every type the mapping knows, keyed by two columns of different types. */
const TIPOS = `CREATE TABLE dbo.tipos (
    id bigint NOT NULL,
    codigo uniqueidentifier NOT NULL,
    valor decimal(18,4) NULL,
    saldo money NULL,
    pequeno smallmoney NULL,
    momento datetime2(7) NULL,
    legado datetime NULL,
    instante datetimeoffset(7) NULL,
    dia date NULL,
    hora time(7) NULL,
    ativo bit NULL,
    dados varbinary(max) NULL,
    fixo binary(16) NULL,
    versao timestamp NULL,
    texto nvarchar(200) NULL,
    longo nvarchar(max) NULL,
    doc xml NULL,
    inteiro int NULL,
    minusculo tinyint NULL,
    real8 float NULL,
    real4 real NULL,
    CONSTRAINT PK_tipos PRIMARY KEY (id, codigo)
);`;

/**
 * The catalog as SQL Server's INFORMATION_SCHEMA would describe it, read from the real sample-catalog script
 * (plus TIPOS), so that the statements below are the ones the server would emit for those tables.
 */
function catalogFromScript(): Catalog {
  const text = `${readFileSync(CATALOG_SCRIPT, 'utf8')}\n${TIPOS}`;
  const catalog: Catalog = { tables: [], columns: [], foreignKeys: [] };
  for (const [, table, body] of text.matchAll(/CREATE TABLE dbo\.(\w+) \(([\s\S]*?)\n\);/g)) {
    const keys: string[] = [];
    for (const line of body!.split('\n')) {
      const column = /^\s*(\w+)\s+(\w+)(?:\(([^)]*)\))?(.*)$/.exec(line);
      if (!column || column[1]!.toUpperCase() === 'CONSTRAINT') continue;
      const [, name, type, args, rest] = column;
      const [first, second] = (args ?? '').split(',').map((part) => part.trim());
      const entry: CatalogColumn = {
        table: table!, name: name!, dataType: type!.toLowerCase(),
        numericPrecision: /^(decimal|numeric)$/.test(type!) ? Number(first) : null,
        numericScale: /^(decimal|numeric)$/.test(type!) ? Number(second) : null,
        datetimePrecision: /^(datetime2|datetimeoffset|time)$/.test(type!) ? Number(first) : null,
        maxLength: /char|binary/.test(type!) ? (first === 'max' ? -1 : Number(first)) : null,
      };
      catalog.columns.push(entry);
      if (/PRIMARY KEY/.test(rest!)) keys.push(name!);
      const reference = /REFERENCES dbo\.(\w+)/.exec(rest!);
      if (reference) catalog.foreignKeys.push({ child: table!, parent: reference[1]! });
    }
    const compositeKey = /CONSTRAINT \w+ PRIMARY KEY \(([^)]+)\)/.exec(body!);
    if (compositeKey) keys.push(...compositeKey[1]!.split(',').map((key) => key.trim()));
    catalog.tables.push({ name: table!, keyColumns: keys });
  }
  return catalog;
}

const silent = { error() {}, warn() {}, info() {}, debug() {} } as never;
const tablesWith = (filters: { table: string; column: string }[]): ServedTable[] =>
  buildServedTables(catalogFromScript(), { dialect: DELTA_DIALECTS.mssql, filters, logger: silent });

const SERVED = tablesWith([{ table: 'preco_loja', column: 'loja_id' }]);
// A filter on a column outside the key, to cover the other branch of the filter SQL.
const NON_KEY_FILTERED = tablesWith([{ table: 'produto', column: 'categoria_id' }]).find((t) => t.name === 'produto')!;

const SAMPLE_KEYS: Record<string, unknown> = {
  categoria_id: 1, produto_id: 2, loja_id: 1, cliente_id: '6f9619ff-8b86-d011-b42d-00c04fc964ff', forma_pagamento_id: 3, operador_id: 4,
  id: '9007199254740993', codigo: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
};
const keyText = (table: ServedTable) => JSON.stringify(Object.fromEntries(table.keyColumns.map((key) => [key, SAMPLE_KEYS[key]])));
const changesCursor = (table: ServedTable): ChangesCursor => ({ to: '120', v: '110', k: keyText(table) });
const snapshotCursor = (table: ServedTable): SnapshotCursor => ({ s: '120', k: keyText(table) });

/** Statement text plus a check that every bound value is referred to, and nothing else. */
function emitted(build: (params: SqlParamList) => string): string {
  const params = new SqlParamList('mssql');
  const sql = build(params);
  const used = new Set([...sql.matchAll(/@p(\d+)\b/g)].map((match) => Number(match[1])));
  expect([...used].sort((a, b) => a - b)).toEqual(params.values.map((_, index) => index + 1));
  return sql;
}

function statements(): [string, string][] {
  const list: [string, string][] = [
    ['window state (current and minimum valid version)', WINDOW_STATE_SQL],
    ['change heads (long-poll notifier)', CHANGE_HEADS_SQL],
    ['catalog: tracked tables and key columns', TRACKED_KEYS_SQL],
    ['catalog: columns', COLUMNS_SQL],
    ['catalog: foreign keys', FOREIGN_KEYS_SQL],
  ];
  for (const table of [...SERVED, NON_KEY_FILTERED]) {
    const label = table === NON_KEY_FILTERED ? `${table.name} (filter outside the key)` : table.name;
    for (const cursor of [null, changesCursor(table)]) {
      list.push([`changes ${label}${cursor ? ' after a cursor' : ''}`, emitted((p) => changesSql(table, { table, since: 100n, cursor, limit: 500, lojaId: 1 }, 120n, p))]);
    }
    for (const cursor of [null, snapshotCursor(table)]) {
      list.push([`snapshot ${label}${cursor ? ' after a cursor' : ''}`, emitted((p) => snapshotSql(table, { table, cursor, limit: 500, lojaId: 1 }, p))]);
    }
  }
  return list;
}

describe('T-SQL of the pull side parses under the SQL Server grammar', () => {
  it('serves every sample-catalog table and the all-types table', () => {
    expect(SERVED.map((t) => t.name)).toEqual(['categoria', 'loja', 'forma_pagamento', 'operador', 'cliente', 'produto', 'preco_loja', 'tipos']);
    expect(SERVED.find((t) => t.name === 'tipos')!.keyColumns).toEqual(['id', 'codigo']);
  });

  it.each(statements())('%s', (_name, sql) => {
    expectValidTsql(sql);
  });

  it('reads each type in its documented wire form', () => {
    const tipos = SERVED.find((t) => t.name === 'tipos')!;
    const expression = (name: string) => mssqlValueSql('t', tipos.columns.find((c) => c.name === name)!);
    expect(expression('momento')).toBe(`STUFF(CONVERT(varchar(27), t.[momento], 121), 11, 1, 'T')`);
    expect(expression('saldo')).toBe('CONVERT(varchar(30), t.[saldo], 2)');
    expect(expression('dados')).toBe(`CAST(N'' AS xml).value('xs:base64Binary(sql:column("t.dados"))', 'varchar(max)')`);
    expect(expression('codigo')).toBe('LOWER(CONVERT(char(36), t.[codigo]))');
    expect(tipos.keys.map((k) => k.sqlType)).toEqual(['bigint', 'uniqueidentifier']);
    expect(tipos.columns.map((c) => `${c.name}:${c.type}`)).toContain('versao:binary');
  });

  it('refuses to serve types with no exact wire form', () => {
    const column = (dataType: string): CatalogColumn => ({ table: 't', name: 'c', dataType, numericPrecision: null, numericScale: null, datetimePrecision: null, maxLength: null });
    for (const type of ['sql_variant', 'geography', 'hierarchyid', 'image']) expect(describeMssqlColumn(column(type))).toBeNull();
  });
});

describe('the grammar check catches a broken pull statement', () => {
  it('rejects a mangled CHANGETABLE read and a TOP without its select list', () => {
    const produto = SERVED.find((t) => t.name === 'produto')!;
    const good = emitted((p) => changesSql(produto, { table: produto, since: 1n, cursor: null, limit: 10, lojaId: 1 }, 2n, p));
    expect(parseTsql(good)).toEqual([]);
    expect(parseTsql(good.replace('CHANGETABLE(CHANGES dbo.[produto], @since) AS ct', 'CHANGETABLE(CHANGES dbo.[produto] @since) AS ct'))).not.toEqual([]);
    expect(parseTsql('SELECT TOP (@p1) FROM dbo.[produto] AS t ORDER BY t.[produto_id];')).not.toEqual([]);
  });
});
