import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSourceTableName, showSourceTableName } from '../src/deltas/declaration/source-name.js';
import { parseServedTablesVariable, readServedTablesFile, sampleServedTables } from '../src/deltas/declaration/served-tables-file.js';

describe('central table names in a declaration', () => {
  it.each([
    ['produto', { schema: null, name: 'produto' }],
    ['cad.Produto', { schema: 'cad', name: 'Produto' }],
    ['dbo.[Tabela de Preço]', { schema: 'dbo', name: 'Tabela de Preço' }],
    ['[cad].[a]]b]', { schema: 'cad', name: 'a]b' }],
    ['"Order"', { schema: null, name: 'Order' }],
    ['"my ""schema""".[x.y]', { schema: 'my "schema"', name: 'x.y' }],
    ['Preço', { schema: null, name: 'Preço' }],
  ])('reads %s', (text, expected) => {
    expect(parseSourceTableName(text)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['', /empty/],
    ['a.b.c', /a database name is not allowed/],
    ['[Tabela de Preço', /never closed/],
    ['cad.', /empty/],
    ['Tabela de Preço ', /starts or ends with a space/],
    ['cad.[x]y', /unexpected "y"/],
  ])('refuses %j', (text, message) => {
    const parsed = parseSourceTableName(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it('shows a name the way it can be written back', () => {
    for (const text of ['cad.Produto', 'dbo.[Tabela de Preço]', '[a]]b]']) {
      const parsed = parseSourceTableName(text);
      if (!parsed.ok) throw new Error(parsed.message);
      expect(showSourceTableName(parsed.value)).toBe(text);
    }
  });
});

describe('SERVED_TABLES_FILE', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'served-tables-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const fileWith = async (name: string, content: unknown): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  it('reads a declaration: renamed columns, a schema, a filter, and none', async () => {
    const path = await fileWith('good.json', {
      tables: [
        { table: 'produto', source: 'cad.Produto', columns: ['CodProduto', { column: 'Descricao', as: 'descricao' }, { column: 'Order' }], rowFilter: null },
        { table: 'preco', source: 'dbo.[Tabela de Preço]', columns: ['CodLoja', 'CodProduto'], rowFilter: { column: 'CodLoja' } },
      ],
    });
    const read = readServedTablesFile(path);
    expect(read).toEqual({
      ok: true,
      value: {
        file: path,
        tables: [
          {
            table: 'produto',
            source: { schema: 'cad', name: 'Produto' },
            columns: [{ source: 'CodProduto', name: 'CodProduto' }, { source: 'Descricao', name: 'descricao' }, { source: 'Order', name: 'Order' }],
            rowFilter: null,
          },
          { table: 'preco', source: { schema: 'dbo', name: 'Tabela de Preço' }, columns: [{ source: 'CodLoja', name: 'CodLoja' }, { source: 'CodProduto', name: 'CodProduto' }], rowFilter: 'CodLoja' },
        ],
      },
    });
  });

  it.each([
    ['no tables', { tables: [] }, 'tables: expected at least one table'],
    ['an unknown field', { tables: [{ table: 'p', source: 'p', columns: ['id'], rowFilter: null, filtro: 'x' }] }, 'tables[0]: '],
    ['a missing rowFilter', { tables: [{ table: 'p', source: 'p', columns: ['id'] }] }, 'tables[0].rowFilter: expected null (every loja) or { "column": "<central column>" }'],
    ['a filter as a bare string', { tables: [{ table: 'p', source: 'p', columns: ['id'], rowFilter: 'loja_id' }] }, 'tables[0].rowFilter: '],
    ['an uppercase contract name', { tables: [{ table: 'Produto', source: 'p', columns: ['id'], rowFilter: null }] }, 'tables[0].table: expected a lowercase contract name'],
    ['a contract name twice', { tables: [{ table: 'p', source: 'a', columns: ['id'], rowFilter: null }, { table: 'p', source: 'b', columns: ['id'], rowFilter: null }] }, 'tables[1].table: contract name p is declared twice'],
    ['a column twice', { tables: [{ table: 'p', source: 'p', columns: ['id', 'id'], rowFilter: null }] }, 'tables[0].columns[1]: central column "id" is listed twice'],
    ['a served name twice', { tables: [{ table: 'p', source: 'p', columns: ['a', { column: 'b', as: 'a' }], rowFilter: null }] }, 'tables[0].columns[1]: served name "a" is listed twice'],
    ['no columns', { tables: [{ table: 'p', source: 'p', columns: [], rowFilter: null }] }, 'tables[0].columns: expected at least one column'],
    ['a bad source', { tables: [{ table: 'p', source: 'a.b.c', columns: ['id'], rowFilter: null }] }, 'tables[0].source: expected table or schema.table'],
    ['a column served as __proto__', { tables: [{ table: 'p', source: 'p', columns: ['id', '__proto__'], rowFilter: null }] }, 'tables[0].columns[1]: expected a served name other than __proto__'],
    ['an empty column name', { tables: [{ table: 'p', source: 'p', columns: [''], rowFilter: null }] }, 'tables[0].columns[0]'],
  ])('refuses %s, naming the field', async (_label, content, message) => {
    const path = await fileWith('bad.json', content);
    const read = readServedTablesFile(path);
    expect(read.ok).toBe(false);
    if (!read.ok) {
      expect(read.message.startsWith(`${path}: ${message}`)).toBe(true);
      expect(read.message).not.toContain('\n');
    }
  });

  it('refuses a file that is not JSON, or not there, with one line naming it', async () => {
    const broken = await fileWith('broken.json', '{ "tables": [');
    expect(parseServedTablesVariable(broken)).toMatchObject({ ok: false, message: expect.stringMatching(new RegExp(`^expected JSON in ${broken}: `)) });
    expect(parseServedTablesVariable(join(dir, 'missing.json'))).toEqual({ ok: false, message: `expected a readable JSON file; cannot read ${join(dir, 'missing.json')} (ENOENT)` });
  });

  it('defaults to the sample schema, as served before declarations: every sample table, preco_loja filtered by loja_id', () => {
    const read = parseServedTablesVariable(undefined);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.value.file).toMatch(/common\/served-tables\.sample\.json$/);
    expect(read.value.tables.map((t) => t.table)).toEqual(['categoria', 'produto', 'loja', 'preco_loja', 'cliente', 'forma_pagamento', 'operador', 'estoque']);
    expect(read.value.tables.filter((t) => t.rowFilter !== null).map((t) => `${t.table}.${t.rowFilter}`)).toEqual(['preco_loja.loja_id', 'estoque.loja_id']);
    expect(read.value.tables.every((t) => t.source.schema === null && t.source.name === t.table)).toBe(true);
    expect(sampleServedTables()).toEqual(read.value);
  });
});
