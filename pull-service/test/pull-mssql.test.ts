import { describe, expect, it } from 'vitest';
import { expectTypedParameters, mssqlColumnTypes, untypedParameterComparisons, type ColumnTypes } from '../../packages/core/test/support/mssql-parameter-types.js';
import { expectValidTsql, parseTsql } from '../../packages/core/test/support/tsql-grammar.js';
import * as applySql from '../src/db/apply-store.mssql.js';
import { tableStatements } from '../src/db/apply-store.js';
import * as checkpointSql from '../src/db/checkpoint-store.mssql.js';
import * as catalogSql from '../src/db/local-schema.mssql.js';
import type { CatalogColumnRow, LocalSchema, LocalTable } from '../src/db/local-schema.js';
import * as rejectedRowSql from '../src/db/rejected-row-store.mssql.js';
import { parseTableMapping } from '../src/plan/table-mapping.js';
import { buildSyncPlan } from '../src/plan/table-plan.js';
import { sqlServerRefusal } from '../src/plan/value-checks.js';
import { describeRejection } from '../src/apply/rejected-row.js';

/** The sample catalog as SQL Server's INFORMATION_SCHEMA describes it (common/mssql/central/0001_sample_catalog.sql). */
const COLUMNS: Record<string, [string, string, number | null, number | null, number | null][]> = {
  categoria: [['categoria_id', 'int', null, 10, 0], ['nome', 'nvarchar', 100, null, null], ['ativa', 'bit', null, null, null]],
  produto: [
    ['produto_id', 'int', null, 10, 0], ['codigo_barras', 'varchar', 14, null, null], ['descricao', 'nvarchar', 200, null, null],
    ['categoria_id', 'int', null, 10, 0], ['unidade', 'varchar', 6, null, null], ['ncm', 'char', 8, null, null],
    ['preco_base', 'decimal', null, 18, 4], ['custo', 'decimal', null, 18, 4], ['aliquota_icms', 'decimal', null, 9, 4],
    ['peso_kg', 'decimal', null, 12, 4], ['ativo', 'bit', null, null, null], ['imagem', 'varbinary', -1, null, null],
    ['criado_em', 'datetime2', null, null, null], ['atualizado_em', 'datetimeoffset', null, null, null],
  ],
  preco_loja: [
    ['loja_id', 'int', null, 10, 0], ['produto_id', 'int', null, 10, 0], ['preco', 'decimal', null, 18, 4], ['preco_promocional', 'decimal', null, 18, 4],
    ['vigencia_inicio', 'date', null, null, null], ['vigencia_fim', 'date', null, null, null], ['atualizado_em', 'datetime2', null, null, null],
  ],
  cliente: [
    ['cliente_id', 'uniqueidentifier', null, null, null], ['nome', 'nvarchar', 200, null, null], ['limite_credito', 'money', null, 19, 4],
    ['data_nascimento', 'date', null, null, null], ['criado_em', 'datetime2', null, null, null],
  ],
  operador: [['operador_id', 'int', null, 10, 0], ['login', 'varchar', 30, null, null], ['inicio_turno', 'time', null, null, null]],
  loja: [['loja_id', 'int', null, 10, 0]],
  // Not the sample catalog: keys of every kind a customer's tables have, and the legacy types.
  chave_varchar: [
    ['codigo', 'varchar', 20, null, null], ['nome', 'nvarchar', 60, null, null], ['legado', 'datetime', null, null, null],
    ['curto', 'smalldatetime', null, null, null], ['valor', 'decimal', null, 12, 2], ['nota', 'text', -1, null, null],
    ['nota_unicode', 'ntext', -1, null, null], ['foto', 'image', -1, null, null],
  ],
  chave_nvarchar: [['nome', 'nvarchar', 50, null, null], ['descricao', 'varchar', 30, null, null], ['fixo', 'char', 3, null, null]],
  chave_int: [['id', 'int', null, 10, 0], ['rotulo', 'varchar', 10, null, null]],
  chave_composta: [['loja_id', 'int', null, 10, 0], ['codigo', 'varchar', 14, null, null], ['momento', 'datetime', null, null, null], ['preco', 'decimal', null, 18, 4]],
  chave_data: [['dia', 'datetime', null, null, null], ['sigla', 'char', 2, null, null], ['total', 'money', null, 19, 4]],
  // An adopter's schema: PascalCase in a schema of its own, an IDENTITY key, names with spaces, quotes and reserved words.
  'vendas.Produto': [['CodProduto', 'int', null, 10, 0], ['Descrição', 'nvarchar', 60, null, null], ['Order', 'int', null, 10, 0], ['Sigla', 'nchar', 4, null, null], ['Peso', 'float', null, 53, null]],
  'vendas.Tabela de Preço': [['Loja', 'int', null, 10, 0], ['Cod"Item]', 'varchar', 20, null, null], ['Preço it\'s', 'decimal', null, 18, 4]],
};
const IDENTITY_COLUMNS = new Set(['vendas.Produto.CodProduto', 'vendas.Produto.Order']);
const KEYS: Record<string, string[]> = {
  categoria: ['categoria_id'], produto: ['produto_id'], preco_loja: ['loja_id', 'produto_id'], cliente: ['cliente_id'], operador: ['operador_id'], loja: ['loja_id'],
  chave_varchar: ['codigo'], chave_nvarchar: ['nome'], chave_int: ['id'], chave_composta: ['loja_id', 'codigo'], chave_data: ['dia', 'sigla'],
  'vendas.Produto': ['CodProduto'], 'vendas.Tabela de Preço': ['Loja', 'Cod"Item]'],
};

/** The column types of the scripts' tables, plus those of the tables above that no script creates. */
async function columnTypes(): Promise<ColumnTypes> {
  const types = new Map([...(await mssqlColumnTypes())].map(([table, columns]) => [table, new Map(columns)]));
  for (const [table, columns] of Object.entries(COLUMNS)) {
    if (!types.has(table)) types.set(table, new Map(columns.map(([name, type]) => [name, type])));
  }
  return types;
}

function mssqlSchema(): LocalSchema {
  const tables = new Map<string, LocalTable>();
  for (const [table, columns] of Object.entries(COLUMNS)) {
    const described = columns.map(([name, type, length, precision, scale]) => {
      const row: CatalogColumnRow = {
        table_schema: 'dbo', table_name: table, column_name: name, data_type: type, character_maximum_length: length, numeric_precision: precision, numeric_scale: scale,
        datetime_precision: 7, is_nullable: 'YES', has_default: 0, identity_kind: null, is_generated: 0,
      };
      const kind = catalogSql.columnType(row);
      const identity = IDENTITY_COLUMNS.has(`${table}.${name}`) ? ('always' as const) : null;
      return { name, dataType: type, type: kind.type, castType: kind.castType, maxLength: length, precision, scale, nullable: true, hasDefault: identity !== null, identity, generated: false };
    });
    const [schema, name] = table.includes('.') ? table.split('.') : ['dbo', table];
    tables.set(table, { schema: schema!, name: name!, columns: new Map(described.map((column) => [column.name, column])), primaryKey: KEYS[table]! });
  }
  const dbo = (name: string) => ({ schema: 'dbo', name });
  const foreignKeys = [
    { name: 'FK_produto_categoria', childTable: dbo('produto'), childColumns: ['categoria_id'], parentTable: dbo('categoria'), parentColumns: ['categoria_id'] },
    { name: 'FK_preco_loja_produto', childTable: dbo('preco_loja'), childColumns: ['produto_id'], parentTable: dbo('produto'), parentColumns: ['produto_id'] },
    { name: 'FK_preco_loja_loja', childTable: dbo('preco_loja'), childColumns: ['loja_id'], parentTable: dbo('loja'), parentColumns: ['loja_id'] },
    { name: 'FK Item Produto', childTable: { schema: 'vendas', name: 'Item de Venda' }, childColumns: ['CodProduto'], parentTable: { schema: 'vendas', name: 'Produto' }, parentColumns: ['CodProduto'] },
  ];
  return { tables, defaultSchema: 'dbo', foreignKeys, namesIgnoreCase: catalogSql.namesIgnoreCase };
}

function generatedStatements(): [string, string][] {
  const entry = (table: string) => (table.startsWith('vendas.') ? { table: table.slice(7).replaceAll(' ', '_'), localTable: `vendas.[${table.slice(7)}]` } : { table });
  const mapping = parseTableMapping({ tables: Object.keys(COLUMNS).map(entry) }, 'sync-tables.json');
  const plan = buildSyncPlan(mapping, mssqlSchema(), 500);
  expect(plan.problems).toEqual([]);
  const statements: [string, string][] = [];
  for (const table of plan.tables) {
    const sql = tableStatements(applySql, table, plan.referencesTo(table.localTable));
    statements.push([`${table.table} upsert`, sql.upsert([...table.columns.values()])]);
    statements.push([`${table.table} upsert (key columns only)`, sql.upsert(table.keyColumns)]);
    statements.push([`${table.table} delete keys`, sql.deleteKeys.delete]);
    if (sql.deleteKeys.leftOver) statements.push([`${table.table} keys left`, sql.deleteKeys.leftOver]);
    for (const lower of [false, true]) {
      for (const upper of [false, true]) {
        const stale = sql.deleteStale({ lower, upper });
        statements.push([`${table.table} stale ${lower}/${upper}`, stale.delete]);
        if (stale.leftOver) statements.push([`${table.table} stale left ${lower}/${upper}`, stale.leftOver]);
      }
    }
    statements.push([`${table.table} keys not in`, sql.keysNotIn]);
    statements.push([`${table.table} key order`, sql.keyOrderCheck]);
  }
  return statements;
}

/** Every T-SQL statement pull-service can send parses under the T-SQL grammar (no SQL Server runs here). */
describe('pull-service mssql statements', () => {
  const fixed = [...Object.entries(checkpointSql), ...Object.entries(rejectedRowSql), ...Object.entries(catalogSql).filter(([, value]) => typeof value === 'string')] as [string, string][];

  it.each(fixed)('%s parses, and binds every parameter compared with a varchar column as varchar', async (_name, sql) => {
    expectValidTsql(sql);
    await expectTypedParameters(sql);
  });

  it.each(generatedStatements())('generated: %s parses, and compares varchar keys with varchar values', async (_name, sql) => {
    expectValidTsql(sql);
    expect(untypedParameterComparisons(sql, await columnTypes())).toEqual([]);
  });

  it('reads a wire timestamp into datetime and smalldatetime through datetime2(7), on every path', () => {
    const statements = generatedStatements();
    const of = (name: string) => statements.find(([label]) => label === name)![1];
    // Seven fractional digits would fail a direct CAST to datetime (error 241).
    expect(of('chave_varchar upsert')).toContain('CAST(CAST(r.[legado] AS datetime2(7)) AS datetime) AS [legado]');
    expect(of('chave_varchar upsert')).toContain('CAST(CAST(r.[curto] AS datetime2(7)) AS smalldatetime) AS [curto]');
    // A datetime key: deletes, the pending deletes kept, the snapshot's ranges and the key-order check.
    expect(of('chave_data delete keys')).toContain('t.[dia] = CAST(CAST(k.[dia] AS datetime2(7)) AS datetime)');
    expect(of('chave_data keys not in')).toContain('CAST(CAST(u.[dia] AS datetime2(7)) AS datetime) = CAST(CAST(p.[dia] AS datetime2(7)) AS datetime)');
    expect(of('chave_data stale true/true')).toContain(`CAST(CAST(JSON_VALUE(@p2, '$."dia"') AS datetime2(7)) AS datetime)`);
    expect(of('chave_data key order')).toContain('CAST(CAST(k.[dia] AS datetime2(7)) AS datetime) AS k0');
    expect(of('chave_composta upsert')).toContain('CAST(CAST(r.[momento] AS datetime2(7)) AS datetime) AS [momento]');
    for (const [name, sql] of statements) expect(sql, name).not.toMatch(/CAST\((?!CAST)[^()]*(?:\([^()]*\))?[^()]* AS (?:small)?datetime\)/);
  });

  it('the MERGE updates a matched row only when a mapped column differs, compared exactly, and always when a text, ntext or image column is mapped', () => {
    const statements = generatedStatements();
    const of = (name: string) => statements.find(([label]) => label === name)![1];
    const produto = of('produto upsert');
    expect(produto).toMatch(/\nWHEN MATCHED AND EXISTS \(SELECT .* EXCEPT SELECT .*\) THEN UPDATE SET /);
    // Text as the bytes of its Unicode form, with its length: case and trailing spaces count.
    expect(produto).toContain('CONVERT(varbinary(max), CONVERT(nvarchar(max), s.[descricao])), DATALENGTH(CONVERT(varbinary(max), CONVERT(nvarchar(max), s.[descricao])))');
    expect(produto).toContain('CONVERT(varbinary(max), CONVERT(nvarchar(max), t.[descricao]))');
    // Binary with its length, datetimeoffset with its offset, the rest as cast on the way in.
    expect(produto).toContain('s.[imagem], DATALENGTH(s.[imagem])');
    expect(produto).toContain('s.[atualizado_em], DATEPART(TZOFFSET, s.[atualizado_em])');
    expect(produto).toContain('s.[preco_base]');
    // The key is what rows are matched on: it is not compared.
    const except = /EXISTS \((SELECT .*) EXCEPT (SELECT .*)\) THEN/.exec(produto)!;
    expect(except[1]).not.toContain('[produto_id]');
    expect(except[1]!.split(', ').length).toBe(except[2]!.split(', ').length);
    // Only the mapped columns: a page of some columns compares those.
    const partial = tableStatements(applySql, buildSyncPlan(parseTableMapping({ tables: [{ table: 'chave_int' }] }, 'x.json'), mssqlSchema(), 500).tables[0]!, []);
    expect(partial.upsert(buildSyncPlan(parseTableMapping({ tables: [{ table: 'chave_int' }] }, 'x.json'), mssqlSchema(), 500).tables[0]!.keyColumns)).not.toContain('WHEN MATCHED');
    // text, ntext and image cannot be compared: with one of them mapped, every matched row is updated.
    expect(of('chave_varchar upsert')).toContain('\nWHEN MATCHED THEN UPDATE SET ');
    expect(of('chave_nvarchar upsert')).toContain('\nWHEN MATCHED AND EXISTS (');
  });

  it('the typing check tells: nvarchar JSON against a varchar key is caught, varchar JSON is not', async () => {
    const types = await columnTypes();
    const typed = generatedStatements().find(([name]) => name === 'chave_composta delete keys')![1];
    expect(typed).toContain(`[codigo] varchar(max) '$."codigo"'`);
    expect(untypedParameterComparisons(typed, types)).toEqual([]);
    expect(untypedParameterComparisons(typed.replace(`[codigo] varchar(max)`, `[codigo] nvarchar(max)`), types)).toEqual(['t.[codigo] = k.[codigo]']);
    const stale = generatedStatements().find(([name]) => name === 'chave_varchar stale true/true')![1];
    expect(untypedParameterComparisons(stale, types)).toEqual([]);
    const untyped = stale.replace(/CAST\((JSON_VALUE\(@p\d, '\$\."codigo"'\)) AS varchar\(max\)\)/g, '$1');
    expect(untyped).not.toBe(stale);
    expect(untypedParameterComparisons(untyped, types).length).toBeGreaterThan(0);
    // A Unicode key is compared as nvarchar, which is its own type.
    expect(generatedStatements().find(([name]) => name === 'chave_nvarchar delete keys')![1]).toContain(`[nome] nvarchar(max) '$."nome"'`);
  });

  it('generated statements quote every name and use MERGE with OPENJSON, varbinary for base64 columns', () => {
    const upsert = generatedStatements().find(([name]) => name === 'produto upsert')![1];
    expect(upsert).toMatch(/^MERGE dbo\.\[produto\] WITH \(HOLDLOCK\) AS t/);
    expect(upsert).toContain(`[imagem] varbinary(max) '$."imagem"'`);
    expect(upsert).toContain('CAST(r.[preco_base] AS decimal(18,4)) AS [preco_base]');
    expect(upsert).toContain('CAST(r.[atualizado_em] AS datetimeoffset(7)) AS [atualizado_em]');
    // Text is not cast: the assignment refuses what is too long instead of cutting it.
    expect(upsert).toContain('r.[codigo_barras] AS [codigo_barras]');
  });

  it('the check can fail', () => {
    expect(parseTsql(checkpointSql.advanceDelta.replace('UPDATE', 'UPDATTE'))).not.toEqual([]);
  });
});

describe('pull-service mssql: adopter tables, identity columns and values SQL Server cannot hold', () => {
  const plans = () => buildSyncPlan(
    parseTableMapping({ tables: [{ table: 'Produto', localTable: 'vendas.Produto' }, { table: 'tabela', localTable: 'vendas.[Tabela de Preço]' }, { table: 'produto' }] }, 'x.json'),
    mssqlSchema(),
    500,
  );
  const planOf = (table: string) => plans().tables.find((plan) => plan.table === table)!;

  it('names the table in its schema, and switches IDENTITY_INSERT on and off around a page that writes the identity column', () => {
    const produto = planOf('Produto');
    expect(produto.local).toEqual({ schema: 'vendas', name: 'Produto' });
    const statements = tableStatements(applySql, produto, []);
    expect(statements.upsert([...produto.columns.values()])).toMatch(/^MERGE \[vendas\]\.\[Produto\] WITH \(HOLDLOCK\) AS t/);
    const identity = applySql.identityInsert(produto, [...produto.columns.values()])!;
    expect(identity).toEqual({ on: 'SET IDENTITY_INSERT [vendas].[Produto] ON;', off: 'SET IDENTITY_INSERT [vendas].[Produto] OFF;' });
    expectValidTsql(identity.on);
    expectValidTsql(identity.off);
    // An identity column that is not the key is inserted, never updated (SQL Server refuses that).
    const merge = statements.upsert([...produto.columns.values()]);
    expect(merge).toMatch(/INSERT \(\[CodProduto\], \[Descrição\], \[Order\]/);
    expect(merge).toContain('THEN UPDATE SET t.[Descrição] = s.[Descrição], t.[Sigla]');
    expect(merge).not.toContain('t.[Order] = s.[Order]');
    // No identity column written, nothing to switch; and SQL Server moves the identity's current value itself.
    expect(applySql.identityInsert(planOf('produto'), [...planOf('produto').columns.values()])).toBeNull();
    expect(applySql.sequenceMoves()).toEqual([]);
  });

  it('compares char and nchar without their padding, as SQL Server\'s = does, and other text exactly', () => {
    const upsert = tableStatements(applySql, planOf('Produto'), []).upsert([...planOf('Produto').columns.values()]);
    expect(upsert).toContain('CONVERT(varbinary(max), CONVERT(nvarchar(max), RTRIM(s.[Sigla]))), DATALENGTH(CONVERT(varbinary(max), CONVERT(nvarchar(max), RTRIM(s.[Sigla]))))');
    expect(upsert).toContain('CONVERT(varbinary(max), CONVERT(nvarchar(max), RTRIM(t.[Sigla])))');
    // nvarchar keeps its trailing spaces and case in the comparison.
    expect(upsert).toContain('CONVERT(varbinary(max), CONVERT(nvarchar(max), s.[Descrição]))');
    expect(upsert).not.toContain('RTRIM(s.[Descrição])');
    expectValidTsql(upsert);
  });

  it('writes JSON paths of any name as literals that mean exactly that name', () => {
    expect(applySql.jsonPath('codigo')).toBe(`'$."codigo"'`);
    expect(applySql.jsonPath('Cod"Item]')).toBe(`'$."Cod\\"Item]"'`);
    expect(applySql.jsonPath("Preço it's")).toBe(`N'$."Preço it''s"'`);
    expect(applySql.jsonPath('a\\b')).toBe(`'$."a\\\\b"'`);
    const tabela = planOf('tabela');
    const statements = tableStatements(applySql, tabela, []);
    expect(statements.deleteKeys.delete).toContain(`[Cod"Item]]] varchar(max) '$."Cod\\"Item]"'`);
    expectValidTsql(statements.upsert([...tabela.columns.values()]));
    expectValidTsql(statements.deleteStale({ lower: true, upper: true }).delete);
  });

  const column = (dataType: string, type: 'float' | 'time' | 'date' | 'timestamp' | 'timestamptz') => ({
    central: 'c', local: { name: 'Valor', dataType, type, castType: dataType, maxLength: null, precision: null, scale: null, nullable: true, hasDefault: false, identity: null, generated: false },
  });

  it.each([
    ['float', 'float', '-0'], ['float', 'float', 'NaN'], ['real', 'float', 'Infinity'], ['float', 'float', '-Infinity'], ['float', 'float', -0],
    ['time', 'time', '24:00:00'], ['date', 'date', 'infinity'], ['date', 'date', '0044-03-15 BC'], ['datetime2', 'timestamp', '-infinity'],
    ['datetime', 'timestamp', '0044-03-15T10:00:00 BC'], ['datetimeoffset', 'timestamptz', '0001-01-01T00:00:00+00:00 BC'], ['datetimeoffset', 'timestamptz', 'infinity'],
  ] as const)('refuses %s %s value %j with a reason naming the column, never writing it changed', (dataType, type, value) => {
    const refused = () => applySql.upsertParams([column(dataType, type)], [{ c: value }]);
    expect(refused).toThrow(applySql.UnrepresentableValueError);
    expect(refused).toThrow(`column 'Valor': SQL Server's ${dataType} cannot hold "${String(Object.is(value, -0) ? '-0' : value)}"`);
    expect(sqlServerRefusal(column(dataType, type).local, value)).not.toBeNull();
  });

  it.each([
    ['float', 'float', 0], ['float', 'float', '1.5e300'], ['time', 'time', '23:59:59.9999999'], ['date', 'date', '0001-01-01'],
    ['datetime2', 'timestamp', '9999-12-31T23:59:59.9999999'], ['datetimeoffset', 'timestamptz', '2026-11-30T10:15:00-03:00'], ['float', 'float', null],
  ] as const)('takes %s %s value %j as it is', (dataType, type, value) => {
    expect(applySql.upsertParams([column(dataType, type)], [{ c: value }])).toEqual([JSON.stringify([{ c: value }])]);
    expect(sqlServerRefusal(column(dataType, type).local, value)).toBeNull();
  });

  it('a refused value becomes a rejected row naming the column and the value', () => {
    const plan = planOf('Produto');
    const peso = plan.columns.get('Peso')!;
    let error: unknown;
    try {
      applySql.upsertParams([peso], [{ Peso: 'NaN' }]);
    } catch (caught) {
      error = caught;
    }
    const rejected = describeRejection(plan, [peso], { op: 'upsert', key: { CodProduto: 1 }, row: { CodProduto: 1, Peso: 'NaN' }, version: '3' }, error);
    expect(rejected).toMatchObject({ table: 'Produto', key: '{"CodProduto":1}', column: 'Peso' });
    expect(rejected.reason).toContain(`column 'Peso': SQL Server's float cannot hold "NaN"`);
  });
});
