import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { quoteQualifiedName } from '@goldpdv/core';
import { mssqlColumnTypes, untypedParameterComparisons, type ColumnTypes } from '../../core/test/support/mssql-parameter-types.js';
import { expectValidTsql, parseTsql } from '../../core/test/support/tsql-grammar.js';
import { cursorKeyNames, type ChangesCursor, type SnapshotCursor } from '../src/deltas/cursor.js';
import { COLUMNS_SQL, FOREIGN_KEYS_SQL, TABLES_SQL, TRACKED_KEYS_SQL } from '../src/deltas/db/catalog.mssql.js';
import { clockSql, readingOf, type ClockRow } from '../src/deltas/db/serving-clock.mssql.js';
import { describeMssqlColumn, mssqlColumnReads, mssqlValueSql } from '../src/deltas/db/column-values.mssql.js';
import type { DeclaredTable } from '../src/deltas/declaration/served-tables-declaration.js';
import { changesSql } from '../src/deltas/db/read-changes.mssql.js';
import { snapshotSql } from '../src/deltas/db/read-snapshot.mssql.js';
import { SqlParamList } from '../src/deltas/db/sql-params.js';
import { TOKEN_KEYS_SQL } from '../src/deltas/db/token-keys.mssql.js';
import { WINDOW_STATE_SQL } from '../src/deltas/db/versions.mssql.js';
import type { Catalog, CatalogColumn, ServedTable } from '../src/deltas/served-table.js';
import { checkServedTables } from '../src/deltas/served-tables-check.js';

const CATALOG_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '../../../common/mssql/central/0001_sample_catalog.sql');

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
);
CREATE TABLE dbo.chaves (
    loja_id int NOT NULL,
    codigo varchar(20) NOT NULL,
    nome nvarchar(50) NULL,
    CONSTRAINT PK_chaves PRIMARY KEY (loja_id, codigo)
);`;

/** An adopter's table: another schema, a name with a space and an accent, a reserved word and a binary column with spaces. */
const ADOPTER = `CREATE TABLE cad.[Tabela de Preço] (
    [CodLoja] int NOT NULL,
    [CodProduto] varchar(20) NOT NULL,
    [Order] int NULL,
    [Foto do "Produto"] varbinary(max) NULL,
    [Preço] money NULL,
    [Segredo] nvarchar(20) NULL,
    CONSTRAINT PK_TabelaDePreco PRIMARY KEY ([CodLoja], [CodProduto])
);`;

/**
 * The catalog as SQL Server's catalog views would describe it, read from the real sample-catalog script (plus
 * TIPOS and ADOPTER), so that the statements below are the ones the server would emit for those tables.
 */
function catalogFromScript(): Catalog {
  const text = `${readFileSync(CATALOG_SCRIPT, 'utf8')}\n${TIPOS}\n${ADOPTER}`;
  const catalog: Catalog = { defaultSchema: 'dbo', tables: [], foreignKeys: [] };
  const unbracket = (name: string) => name.replace(/^\[|\]$/g, '');
  for (const [, schema, rawTable, body] of text.matchAll(/CREATE TABLE (\w+)\.(\w+|\[[^\]]+\]) \(([\s\S]*?)\n\);/g)) {
    const table = unbracket(rawTable!);
    const keys: string[] = [];
    const columns: CatalogColumn[] = [];
    for (const line of body!.split('\n')) {
      const column = /^\s*(\w+|\[[^\]]+\])\s+(\w+)(?:\(([^)]*)\))?(.*)$/.exec(line);
      if (!column || column[1]!.toUpperCase() === 'CONSTRAINT') continue;
      const [, rawName, type, args, rest] = column;
      const name = unbracket(rawName!);
      const [first, second] = (args ?? '').split(',').map((part) => part.trim());
      columns.push({
        name, dataType: type!.toLowerCase(),
        numericPrecision: /^(decimal|numeric)$/.test(type!) ? Number(first) : null,
        numericScale: /^(decimal|numeric)$/.test(type!) ? Number(second) : null,
        datetimePrecision: /^(datetime2|datetimeoffset|time)$/.test(type!) ? Number(first) : null,
        maxLength: /char|binary/.test(type!) ? (first === 'max' ? -1 : Number(first)) : null,
      });
      if (/PRIMARY KEY/.test(rest!)) keys.push(name);
      const reference = /REFERENCES dbo\.(\w+)/.exec(rest!);
      if (reference) catalog.foreignKeys.push({ child: { schema: schema!, name: table }, parent: { schema: 'dbo', name: reference[1]! } });
    }
    const compositeKey = /CONSTRAINT \w+ PRIMARY KEY \(([^)]+)\)/.exec(body!);
    if (compositeKey) keys.push(...compositeKey[1]!.split(',').map((key) => unbracket(key.trim())));
    catalog.tables.push({ schema: schema!, name: table, untracked: null, trackingName: quoteQualifiedName('mssql', schema!, table), keyColumns: keys, columns });
  }
  return catalog;
}

const ADOPTER_TABLE: DeclaredTable = {
  table: 'tabela_de_preco',
  source: { schema: 'cad', name: 'Tabela de Preço' },
  columns: [
    { source: 'CodLoja', name: 'loja' }, { source: 'CodProduto', name: 'produto' }, { source: 'Order', name: 'ordem' },
    { source: 'Foto do "Produto"', name: 'foto' }, { source: 'Preço', name: 'preco' },
  ],
  rowFilter: 'CodLoja',
};

/** Every table of the catalog declared with every column under its own name (ADOPTER as above), filtered as `filters` say. */
function tablesWith(filters: { table: string; column: string }[]): ServedTable[] {
  const catalog = catalogFromScript();
  const tables: DeclaredTable[] = catalog.tables
    .filter((table) => table.schema === 'dbo')
    .map((table) => ({
      table: table.name,
      source: { schema: null, name: table.name },
      columns: table.columns.map((column) => ({ source: column.name, name: column.name })),
      rowFilter: filters.find((filter) => filter.table === table.name)?.column ?? null,
    }));
  const check = checkServedTables({ file: 'test.json', tables: [...tables, ADOPTER_TABLE] }, catalog, { dialect: 'mssql', describeColumn: describeMssqlColumn });
  expect(check.problems).toEqual([]);
  return check.served;
}

const SERVED = tablesWith([{ table: 'preco_loja', column: 'loja_id' }, { table: 'chaves', column: 'loja_id' }]);
// A filter on a column outside the key, to cover the other branch of the filter SQL.
const NON_KEY_FILTERED = tablesWith([{ table: 'produto', column: 'categoria_id' }]).find((t) => t.name === 'produto')!;

const SAMPLE_KEYS: Record<string, unknown> = {
  categoria_id: 1, produto_id: 2, loja_id: 1, cliente_id: '6f9619ff-8b86-d011-b42d-00c04fc964ff', forma_pagamento_id: 3, operador_id: 4,
  id: '9007199254740993', codigo: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', CodLoja: 1, CodProduto: 'ABC-1',
};

/** Column types of the scripts' tables, plus those of the tables above (tipos, chaves) that no script creates. */
async function columnTypes(): Promise<ColumnTypes> {
  const types = new Map([...(await mssqlColumnTypes())].map(([table, columns]) => [table, new Map(columns)]));
  for (const table of catalogFromScript().tables) {
    for (const column of table.columns) {
      if (!types.has(table.name)) types.set(table.name, new Map());
      if (!types.get(table.name)!.has(column.name)) types.get(table.name)!.set(column.name, column.dataType);
    }
  }
  return types;
}
const keyText = (table: ServedTable) => JSON.stringify(Object.fromEntries(cursorKeyNames(table).map((key) => [key, SAMPLE_KEYS[key]])));
const changesCursor = (table: ServedTable): ChangesCursor => ({ to: '120', v: '110', k: keyText(table) });
const snapshotCursor = (table: ServedTable): SnapshotCursor => ({ s: '120', k: keyText(table), i: 'AbCdEfGhIjKlMnOpQrStUv' });

/** Statement text plus a check that every bound value is referred to, and nothing else. */
function emitted(build: (params: SqlParamList) => string): string {
  const params = SqlParamList.mssql();
  const sql = build(params);
  const used = new Set([...sql.matchAll(/@p(\d+)\b/g)].map((match) => Number(match[1])));
  expect([...used].sort((a, b) => a - b)).toEqual(params.values.map((_, index) => index + 1));
  return sql;
}

function statements(): [string, string][] {
  const list: [string, string][] = [
    ['window state (current and minimum valid version)', WINDOW_STATE_SQL],
    ['serving clock (current version, incarnation, a probe per table)', emitted((p) => (p.add('100'), clockSql(SERVED.map((t) => t.trackingName))))],
    ['serving clock with no table', emitted((p) => (p.add(null), clockSql([])))],
    ['serving clock with a table read from the start', emitted((p) => (p.add('100'), clockSql(SERVED.map((t) => t.trackingName), new Set([1]))))],
    ['catalog: tables', TABLES_SQL],
    ['catalog: tracked tables and key columns', TRACKED_KEYS_SQL],
    ['catalog: columns', COLUMNS_SQL],
    ['catalog: foreign keys', FOREIGN_KEYS_SQL],
    ['Sync-Token keys', TOKEN_KEYS_SQL],
  ];
  for (const table of [...SERVED, NON_KEY_FILTERED]) {
    const label = table === NON_KEY_FILTERED ? `${table.name} (filter outside the key)` : table.name;
    for (const cursor of [null, changesCursor(table)]) {
      list.push([`changes ${label}${cursor ? ' after a cursor' : ''}`, emitted((p) => changesSql(table, { table, since: 100n, cursor, limit: 500, lojaId: 1, admit: () => null }, 120n, p))]);
    }
    for (const cursor of [null, snapshotCursor(table)]) {
      list.push([`snapshot ${label}${cursor ? ' after a cursor' : ''}`, emitted((p) => snapshotSql(table, { table, cursor, limit: 500, lojaId: 1 }, p))]);
    }
  }
  return list;
}

describe('T-SQL of the pull side parses under the SQL Server grammar', () => {
  it('serves every sample-catalog table, the all-types table and the varchar-keyed one', () => {
    expect(SERVED.map((t) => t.name)).toEqual(['categoria', 'loja', 'forma_pagamento', 'operador', 'cliente', 'produto', 'preco_loja', 'chaves', 'tabela_de_preco', 'tipos']);
    expect(SERVED.find((t) => t.name === 'tipos')!.keyColumns).toEqual(['id', 'codigo']);
  });

  it.each(statements())('%s (and binds every parameter compared with a varchar column as varchar)', async (_name, sql) => {
    expectValidTsql(sql);
    expect(untypedParameterComparisons(sql, await columnTypes())).toEqual([]);
  });

  it('the typing check tells: a snapshot cursor key bound as nvarchar against the varchar key is caught', async () => {
    const chaves = SERVED.find((t) => t.name === 'chaves')!;
    const sql = emitted((p) => snapshotSql(chaves, { table: chaves, cursor: snapshotCursor(chaves), limit: 500, lojaId: 1 }, p));
    expect(sql).toMatch(/t\.\[codigo\] > CAST\(@p\d+ AS varchar\(20\)\)/);
    const untyped = sql.replace(/CAST\((@p\d+) AS varchar\(20\)\)/g, '$1');
    expect(untypedParameterComparisons(untyped, await columnTypes()).length).toBeGreaterThan(0);
  });

  it('reads each type in its documented wire form', () => {
    const tipos = SERVED.find((t) => t.name === 'tipos')!;
    const expression = (name: string) => mssqlValueSql('t', tipos.columns.find((c) => c.name === name)!);
    expect(expression('momento')).toBe(`STUFF(CONVERT(varchar(27), t.[momento], 121), 11, 1, 'T')`);
    expect(expression('saldo')).toBe('CONVERT(varchar(30), t.[saldo], 2)');
    const dados = tipos.columns.findIndex((c) => c.name === 'dados');
    expect(mssqlColumnReads('t', tipos.columns, (i) => `c${i}`).select[dados]).toBe(`CAST(N'' AS xml).value('xs:base64Binary(sql:column("b${dados}.v"))', 'varchar(max)') AS c${dados}`);
    expect(expression('codigo')).toBe('LOWER(CONVERT(char(36), t.[codigo]))');
    expect(tipos.keys.map((k) => k.sqlType)).toEqual(['bigint', 'uniqueidentifier']);
    expect(tipos.columns.map((c) => `${c.name}:${c.type}`)).toContain('versao:binary');
  });

  it('refuses to serve types with no exact wire form', () => {
    const column = (dataType: string): CatalogColumn => ({ name: 'c', dataType, numericPrecision: null, numericScale: null, datetimePrecision: null, maxLength: null });
    for (const type of ['sql_variant', 'geography', 'hierarchyid', 'image']) expect(describeMssqlColumn(column(type))).toBeNull();
  });
});

describe('SQL Server column forms', () => {
  it('reads sys.database_recovery_status only off Azure SQL Database, where the view does not exist', () => {
    const [guard, ...rest] = WINDOW_STATE_SQL.split(/\n(?=IF )/)[1]!.split('\n');
    expect(guard).toBe("IF CONVERT(int, SERVERPROPERTY('EngineEdition')) <> 5");
    // The view is named by the guarded statement alone: a statement naming a missing object fails when it is reached.
    expect(WINDOW_STATE_SQL.match(/sys\.database_recovery_status/g)).toHaveLength(1);
    expect(rest.join('\n').indexOf('sys.database_recovery_status')).toBeLessThan(rest.join('\n').indexOf('\nSELECT CONVERT(varchar(20), CHANGE_TRACKING_CURRENT_VERSION())'));
    expectValidTsql(WINDOW_STATE_SQL);
  });

  it('reads a binary column of any name through a derived table under a plain alias', () => {
    const table = SERVED.find((t) => t.name === 'tabela_de_preco')!;
    const sql = emitted((p) => snapshotSql(table, { table, cursor: null, limit: 10, lojaId: 1 }, p));
    const foto = table.columns.findIndex((c) => c.name === 'foto');
    expect(sql).toContain(`CROSS APPLY (SELECT t.[Foto do "Produto"] AS v) AS b${foto}`);
    expect(sql).toContain(`sql:column("b${foto}.v")`);
    expect(sql).toContain('FROM [cad].[Tabela de Preço] AS t');
    expect(sql).toContain('t.[Order] AS c2');
    expect(sql).not.toContain('Segredo');
    expectValidTsql(sql);
    const changes = emitted((p) => changesSql(table, { table, since: 1n, cursor: changesCursor(table), limit: 10, lojaId: 1, admit: () => null }, 2n, p));
    expect(changes).toContain(`LEFT JOIN [cad].[Tabela de Preço] AS t ON t.[CodLoja] = ct.[CodLoja] AND t.[CodProduto] = ct.[CodProduto]\n CROSS APPLY (SELECT t.[Foto do "Produto"] AS v) AS b${foto}`);
    expectValidTsql(changes);
  });
});

describe('the grammar check catches a broken pull statement', () => {
  it('rejects a mangled CHANGETABLE read and a TOP without its select list', () => {
    const produto = SERVED.find((t) => t.name === 'produto')!;
    const good = emitted((p) => changesSql(produto, { table: produto, since: 1n, cursor: null, limit: 10, lojaId: 1, admit: () => null }, 2n, p));
    expect(parseTsql(good)).toEqual([]);
    expect(parseTsql(good.replace('CHANGETABLE(CHANGES [dbo].[produto], @since) AS ct', 'CHANGETABLE(CHANGES [dbo].[produto] @since) AS ct'))).not.toEqual([]);
    expect(parseTsql('SELECT TOP (@p1) FROM dbo.[produto] AS t ORDER BY t.[produto_id];')).not.toEqual([]);
  });
});

describe('serving clock on SQL Server: what a batch\'s rows mean', () => {
  const row = (index: number | null, head: string | null, minValid: string | null, current = '5500'): ClockRow => ({
    current_version: current, recovery_fork: 'f', database_guid: 'g', restore_mark: 'm', table_index: index, head, min_valid: minValid,
  });

  it('keeps a quiet table at the change the previous tick knew, reads a table new to the clock from the start, and leaves out an untracked one', () => {
    const first = readingOf([row(0, '30', '1'), row(1, null, '1')], ['a', 'b'], null, new Set());
    expect(first.quietFrom).toEqual(new Map([['a', 30n], ['b', 1n]]));
    // No change of a since the previous tick; b changed at 5200; c is new to the clock and was read from the start.
    const next = readingOf([row(0, null, '1', '5600'), row(1, '5200', '1', '5600'), row(2, '4000', '1', '5600'), row(3, null, null, '5600')], ['a', 'b', 'c', 'd'], first, new Set([2]));
    expect(next.quietFrom).toEqual(new Map([['a', 30n], ['b', 5200n], ['c', 4000n]]));
    // The upper version: the latest change of any table, or the version counter on its grid of 1,000, whichever is higher.
    expect(next.upper).toBe(5200n);
    expect(readingOf([row(0, '30', '1', '7999')], ['a'], null, new Set()).upper).toBe(7000n);
    // Below its minimum valid version a window must be read, to answer the reset.
    expect(readingOf([row(0, '30', '900')], ['a'], null, new Set()).quietFrom.get('a')).toBe(900n);
  });
});
