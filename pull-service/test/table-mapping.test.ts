import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, quoteIdentifier } from '@goldpdv/core';
import { BUNDLED_TABLES_FILE } from '../src/config.js';
import { isIdentifier, loadTableMapping, parseTableMapping } from '../src/plan/table-mapping.js';
import { DAEMON_ENTRY, spawnDaemon } from '../../packages/core/test/support/spawn-daemon.js';

const FILE = 'sync-tables.json';
const messageOf = (raw: unknown): string => {
  try {
    parseTableMapping(raw, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('PULL_TABLES_FILE');
    return (error as Error).message;
  }
  throw new Error('the mapping was accepted');
};

describe('table mapping file', () => {
  it('the bundled file is valid and orders parents before children', () => {
    const mapping = loadTableMapping(BUNDLED_TABLES_FILE);
    const order = mapping.tables.map((table) => table.table);
    expect(order).toEqual(['categoria', 'produto', 'loja', 'preco_loja', 'cliente', 'forma_pagamento', 'operador', 'estoque']);
  });

  it('keeps the file order where dependencies allow, and moves a child after its parents', () => {
    const mapping = parseTableMapping({ tables: [{ table: 'c', dependsOn: ['b'] }, { table: 'a' }, { table: 'b', dependsOn: ['a'] }, { table: 'd' }] }, FILE);
    expect(mapping.tables.map((table) => table.table)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('reads renames, local table, key columns and batch size', () => {
    const [table] = parseTableMapping(
      { tables: [{ table: 'produto', localTable: 'produto_local', columns: { descricao: 'nome' }, keyColumns: ['produto_id'], batchSize: 50 }] },
      FILE,
    ).tables;
    expect(table).toMatchObject({ table: 'produto', localTable: 'produto_local', keyColumns: ['produto_id'], batchSize: 50 });
    expect([...table!.renames]).toEqual([['descricao', 'nome']]);
  });

  it.each([
    [{ tables: [{ table: '' }] }, 'sync-tables.json: tables[0].table: expected a name of 1 to 128 characters without control characters; found ""'],
    [{ tables: [{ table: 'a\u0000b' }] }, 'tables[0].table: expected a name of 1 to 128 characters without control characters; found "a\\u0000b"'],
    [{ tables: [{ table: 'produto', localTable: 'x'.repeat(129) }] }, 'tables[0].localTable: expected table or schema.table ("xxxxxxxx'],
    [{ tables: [{ table: 'produto', localTable: 'a.b.c' }] }, 'tables[0].localTable: expected table or schema.table (expected table or schema.table (at most one dot outside quotes))'],
    [{ tables: [{ table: 'produto', localTable: '[vendas.Produto' }] }, 'tables[0].localTable: expected table or schema.table (the name opened with [ at character 1 is not closed)'],
    [{ tables: [{ table: 'produto', localTable: 'vendas.' }] }, 'tables[0].localTable: expected table or schema.table (a name cannot end with a dot)'],
    [{ tables: [{ table: 'produto', columns: { 'des\ncricao': 'nome' } }] }, 'tables[0].columns["des\\ncricao"]: expected a name of 1 to 128 characters without control characters; found the name "des\\ncricao"'],
    [{ tables: [{ table: 'produto', columns: { descricao: '' } }] }, 'tables[0].columns.descricao: expected a name of 1 to 128 characters'],
    [{ tables: [{ table: 'produto', keyColumns: ['id', ''] }] }, 'tables[0].keyColumns[1]: expected a name of 1 to 128 characters'],
    [{ tables: [{ table: 'produto', constants: { Ativo: [1] } }] }, 'tables[0].constants.Ativo: expected a string, a number or true/false; found [1]'],
    [{ tables: [{ table: 'a', localTable: 'vendas.[Produto]' }, { table: 'b', localTable: '"vendas"."Produto"' }] }, 'tables[1].localTable: local table "\"vendas\".\"Produto\"" is filled twice (also by tables[0])'],
    [{ tables: [{ table: 'produto', dependsOn: ['categoria'] }] }, 'tables[0].dependsOn[0]: "categoria" is not a table of this file'],
    [{ tables: [{ table: 'a', dependsOn: ['b'] }, { table: 'b', dependsOn: ['a'] }] }, 'dependsOn: the tables a, b depend on each other in a cycle'],
    [{ tables: [{ table: 'a' }, { table: 'a' }] }, 'tables[1].table: "a" is listed twice (also tables[0])'],
    [{ tables: [{ table: 'a', dependOn: ['b'] }] }, 'tables[0]: unknown field "dependOn"'],
    [{ tables: [{ table: 'a', batchSize: 'many' }] }, 'tables[0].batchSize: expected a whole number; found "many"'],
    [{ tables: [{ table: 'a', batchSize: 0 }] }, 'tables[0].batchSize: '],
    [{ tables: [] }, 'tables: expected at least one table'],
    [{ table: 'a' }, 'tables: expected a list of tables; found nothing'],
    [[{ table: 'a' }], 'sync-tables.json: expected object; found [{"table":"a"}]'],
  ])('refuses %j with one clear line', (raw, expected) => {
    const message = messageOf(raw);
    expect(message).toContain(expected);
    expect(message.startsWith('PULL_TABLES_FILE: sync-tables.json: ')).toBe(true);
    expect(message).not.toContain('\n');
  });

  it('takes any name a catalog can hold, schema-qualified local tables, quoted parts, and constants', () => {
    const [table] = parseTableMapping(
      { tables: [{ table: 'Tabela de Preço', localTable: 'vendas.[Tabela de Preço]', columns: { Order: 'Ordem "x"', 'Preço it\'s': 'Preço' }, keyColumns: ['Order'], constants: { Ativo: true, Origem: 'central' } }] },
      FILE,
    ).tables;
    expect(table).toMatchObject({ table: 'Tabela de Preço', localTable: 'vendas.[Tabela de Preço]', local: { schema: 'vendas', name: 'Tabela de Preço' } });
    expect([...table!.renames]).toEqual([['Order', 'Ordem "x"'], ["Preço it's", 'Preço']]);
    expect([...table!.constants]).toEqual([['Ativo', true], ['Origem', 'central']]);
    expect(parseTableMapping({ tables: [{ table: 'a', localTable: '"my.schema"."A ""quoted"" name"' }] }, FILE).tables[0]!.local).toEqual({ schema: 'my.schema', name: 'A "quoted" name' });
    expect(parseTableMapping({ tables: [{ table: 'a', localTable: '[a]]b]' }] }, FILE).tables[0]!.local).toEqual({ schema: null, name: 'a]b' });
    expect(parseTableMapping({ tables: [{ table: 'produto; DROP TABLE x' }] }, FILE).tables[0]!.local).toEqual({ schema: null, name: 'produto; DROP TABLE x' });
  });

  it('every name it writes into SQL is quoted to mean exactly itself', () => {
    expect(quoteIdentifier('postgres', 'produto')).toBe('"produto"');
    expect(quoteIdentifier('mssql', 'produto')).toBe('[produto]');
    expect(isIdentifier('a"b')).toBe(false);
    expect(quoteIdentifier('postgres', 'a"b')).toBe('"a""b"');
    expect(quoteIdentifier('mssql', 'a]b')).toBe('[a]]b]');
    expect(quoteIdentifier('mssql', 'produto; DROP TABLE x')).toBe('[produto; DROP TABLE x]');
  });

  describe('files', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'gp-mapping-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('names the file when it is missing or not JSON', async () => {
      expect(() => loadTableMapping(join(dir, 'missing.json'))).toThrow(`PULL_TABLES_FILE: ${join(dir, 'missing.json')}: cannot read the file (ENOENT)`);
      await writeFile(join(dir, 'broken.json'), '{ "tables": [ { "table": "a" }, ] }');
      expect(() => loadTableMapping(join(dir, 'broken.json'))).toThrow(new RegExp(`^PULL_TABLES_FILE: ${join(dir, 'broken.json')}: not valid JSON \\(`));
    });

    it('a bad file stops the daemon with exit code 2 and one line naming the file and the field', async () => {
      const file = join(dir, 'injected.json');
      await writeFile(file, JSON.stringify({ tables: [{ table: 'produto', columns: { descricao: 'nome\u0007' } }] }));
      const daemon = spawnDaemon(DAEMON_ENTRY['pull-service'], {
        PDV_ID: 'loja01-pdv01',
        CENTRAL_API_URL: 'http://127.0.0.1:9',
        CENTRAL_API_TOKEN: 'token-that-must-not-leak',
        DB_URL: 'pglite://memory',
        HEALTH_PORT: '0',
        HEALTH_HOST: '127.0.0.1',
        PULL_TABLES_FILE: file,
      });
      const { code } = await daemon.exited;
      expect(code).toBe(2);
      expect(daemon.stderr()).toBe(
        `pull-service: invalid configuration: PULL_TABLES_FILE: ${file}: tables[0].columns.descricao: expected a name of 1 to 128 characters without control characters; found "nome\\u0007"\n`,
      );
    });
  });
});
