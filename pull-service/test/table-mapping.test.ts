import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@goldpdv/core';
import { BUNDLED_TABLES_FILE } from '../src/config.js';
import { loadTableMapping, parseTableMapping } from '../src/table-mapping.js';
import { quoteIdentifier } from '../src/sql-identifiers.js';
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
    expect(order).toEqual(['categoria', 'produto', 'loja', 'preco_loja', 'cliente', 'forma_pagamento', 'operador']);
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
    [{ tables: [{ table: 'produto; DROP TABLE x' }] }, 'sync-tables.json: tables[0].table: expected an identifier (a letter or underscore, then letters, digits or underscores, at most 128); found "produto; DROP TABLE x"'],
    [{ tables: [{ table: 'a"b' }] }, 'tables[0].table: expected an identifier (a letter or underscore, then letters, digits or underscores, at most 128); found "a\\"b"'],
    [{ tables: [{ table: 'produto', localTable: 'x]; DROP TABLE y; --' }] }, 'tables[0].localTable: expected an identifier'],
    [{ tables: [{ table: 'produto', columns: { 'descricao" text); --': 'nome' } }] }, 'tables[0].columns["descricao\\" text); --"]: expected an identifier (a letter or underscore, then letters, digits or underscores, at most 128); found the name "descricao\\" text); --"'],
    [{ tables: [{ table: 'produto', columns: { descricao: 'nome--' } }] }, 'tables[0].columns.descricao: expected an identifier'],
    [{ tables: [{ table: 'produto', keyColumns: ['id', '1id'] }] }, 'tables[0].keyColumns[1]: expected an identifier'],
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

  it('quotes every identifier it lets through, and refuses to quote anything else', () => {
    expect(quoteIdentifier('postgres', 'produto')).toBe('"produto"');
    expect(quoteIdentifier('mssql', 'produto')).toBe('[produto]');
    expect(() => quoteIdentifier('postgres', 'a"b')).toThrow(/not an identifier/);
    expect(() => quoteIdentifier('mssql', 'a]b')).toThrow(/not an identifier/);
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
      await writeFile(file, JSON.stringify({ tables: [{ table: 'produto', columns: { descricao: 'nome; DROP TABLE produto' } }] }));
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
        `pull-service: invalid configuration: PULL_TABLES_FILE: ${file}: tables[0].columns.descricao: expected an identifier (a letter or underscore, then letters, digits or underscores, at most 128); found "nome; DROP TABLE produto"\n`,
      );
    });
  });
});
