import { quoteQualifiedName } from '@goldpdv/core';
import { describe, expect, it } from 'vitest';
import { describeMssqlColumn } from '../src/deltas/db/column-values.mssql.js';
import type { DeclaredTable } from '../src/deltas/declaration/served-tables-declaration.js';
import type { Catalog, CatalogColumn, CatalogTable } from '../src/deltas/served-table.js';
import { checkServedTables } from '../src/deltas/served-tables-check.js';

/** The declaration against a SQL Server catalog built here, so that every problem can be set up exactly. */
const column = (name: string, dataType: string, extra: Partial<CatalogColumn> = {}): CatalogColumn => ({
  name, dataType, numericPrecision: null, numericScale: null, datetimePrecision: null, maxLength: null, ...extra,
});

const table = (schema: string, name: string, keyColumns: string[], columns: CatalogColumn[], untracked: string | null = null): CatalogTable => ({
  schema, name, untracked, trackingName: quoteQualifiedName('mssql', schema, name), keyColumns: untracked ? [] : keyColumns, columns,
});

const CATALOG: Catalog = {
  defaultSchema: 'dbo',
  tables: [
    table('cad', 'Grupo', ['CodGrupo'], [column('CodGrupo', 'int'), column('Nome', 'nvarchar', { maxLength: 50 })]),
    table('cad', 'Produto', ['CodProduto'], [
      column('CodProduto', 'int'), column('CodGrupo', 'int'), column('Variante', 'sql_variant'), column('Order', 'int'),
      column('Cadastro', 'datetime'), column('CodLoja', 'varchar', { maxLength: 10 }), column('Preco', 'money'),
    ]),
    table('dbo', 'Imagem', ['Hash'], [column('Hash', 'varbinary', { maxLength: 32 }), column('Dados', 'varbinary', { maxLength: -1 })]),
    table('dbo', 'Log', ['Id'], [column('Id', 'int')], 'Change Tracking is not enabled on it (ALTER TABLE ... ENABLE CHANGE_TRACKING)'),
  ],
  foreignKeys: [{ child: { schema: 'cad', name: 'Produto' }, parent: { schema: 'cad', name: 'Grupo' } }],
};

const declared = (name: string, schema: string | null, source: string, columns: string[], rowFilter: string | null = null): DeclaredTable => ({
  table: name, source: { schema, name: source }, columns: columns.map((c) => ({ source: c, name: c.toLowerCase() })), rowFilter,
});

const check = (...tables: DeclaredTable[]) => checkServedTables({ file: 'served.json', tables }, CATALOG, { dialect: 'mssql', describeColumn: describeMssqlColumn });

describe('the declaration against the catalog', () => {
  it('serves declared columns only, under their served names, parents first across schemas', () => {
    const result = check(declared('produto', 'cad', 'Produto', ['CodProduto', 'Order', 'Cadastro', 'Preco']), declared('grupo', 'cad', 'Grupo', ['CodGrupo']));
    expect(result.problems).toEqual([]);
    expect(result.served.map((t) => t.name)).toEqual(['grupo', 'produto']);
    const produto = result.served[1]!;
    expect(produto).toMatchObject({ sqlName: '[cad].[Produto]', trackingName: '[cad].[Produto]', keyColumns: ['codproduto'] });
    expect(produto.columns.map((c) => `${c.source}->${c.name}:${c.type}`)).toEqual(['CodProduto->codproduto:int', 'Order->order:int', 'Cadastro->cadastro:timestamp', 'Preco->preco:decimal']);
  });

  it('ignores an undeclared column whose type could not travel, and pauses a table that declares one', () => {
    expect(check(declared('produto', 'cad', 'Produto', ['CodProduto'])).problems).toEqual([]);
    const result = check(declared('produto', 'cad', 'Produto', ['CodProduto', 'Variante']));
    expect(result.served).toEqual([]);
    expect(result.paused).toEqual([{ name: 'produto', reason: 'cad.Produto: column "Variante" has type sql_variant, which cannot travel exactly' }]);
  });

  it.each([
    [declared('t', 'cad', 'produto', ['CodProduto']), 'table not found in the central database (names are compared exactly, case included)'],
    [declared('t', null, 'Produto', ['CodProduto']), 'table not found in the central database (names are compared exactly, case included)'],
    [declared('t', null, 'Log', ['Id']), 'not change-tracked: Change Tracking is not enabled on it (ALTER TABLE ... ENABLE CHANGE_TRACKING)'],
    [declared('t', 'cad', 'Produto', ['Order']), 'key column "CodProduto" is not declared (key columns must be served)'],
    [declared('t', null, 'Imagem', ['Hash', 'Dados']), 'key column "Hash" is binary, which cannot key a page'],
    [declared('t', 'cad', 'Produto', ['CodProduto'], 'CodFilial'), 'filter column "CodFilial" does not exist'],
    [declared('t', 'cad', 'Produto', ['CodProduto'], 'CodLoja'), 'filter column "CodLoja" has type varchar; a loja id needs an integer column'],
  ])('pauses %o: %s', (entry, problem) => {
    const result = check(entry, declared('grupo', 'cad', 'Grupo', ['CodGrupo']));
    expect(result.problems.map((p) => p.problem)).toEqual([problem]);
    expect(result.paused.map((p) => p.name)).toEqual(['t']);
    // The other table goes on.
    expect(result.served.map((t) => t.name)).toEqual(['grupo']);
  });

  it('reports every problem of a table, one line each', () => {
    const result = check(declared('t', 'cad', 'Produto', ['Order', 'Sumida', 'Variante'], 'CodFilial'));
    expect(result.problems.map((p) => `${p.table} ${p.source}: ${p.problem}`)).toEqual([
      't cad.Produto: declared column "Sumida" does not exist',
      't cad.Produto: column "Variante" has type sql_variant, which cannot travel exactly',
      't cad.Produto: key column "CodProduto" is not declared (key columns must be served)',
      't cad.Produto: filter column "CodFilial" does not exist',
    ]);
  });

  it('filters by an integer column that need not be served, and knows whether it is in the key', () => {
    const [produto] = check(declared('produto', 'cad', 'Produto', ['CodProduto'], 'CodGrupo')).served;
    expect(produto!.filter).toEqual({ column: 'CodGrupo', sqlType: 'int', inKey: false });
    expect(produto!.columns.map((c) => c.source)).toEqual(['CodProduto']);
  });
});
