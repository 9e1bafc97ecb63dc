import { describe, expect, it } from 'vitest';
import { expectTypedParameters } from '../../core/test/support/mssql-parameter-types.js';
import { expectValidTsql, parseTsql } from '../../core/test/support/tsql-grammar.js';
import { MSSQL_BACKOFFICE_SQL } from '../src/backoffice/backoffice-store.mssql.js';

const { table, column, placeholder, ...STATEMENTS } = MSSQL_BACKOFFICE_SQL;

/** The cadastro statements are built from the declaration; these are the three shapes, on a sample table. */
const BUILT: Record<string, string> = {
  'cadastro: insert': `INSERT INTO ${table('preco_loja')} (${column('loja_id')}, ${column('produto_id')}, ${column('preco')}) VALUES (${placeholder(1)}, ${placeholder(2)}, ${placeholder(3)})`,
  'cadastro: update': `UPDATE ${table('produto')} SET ${column('preco_base')} = ${placeholder(2)} WHERE ${column('produto_id')} = ${placeholder(1)}`,
  'cadastro: delete': `DELETE FROM ${table('preco_loja')} WHERE ${column('loja_id')} = ${placeholder(1)} AND ${column('produto_id')} = ${placeholder(2)}`,
};

describe('T-SQL of the back-office routes parses under the SQL Server grammar', () => {
  it.each(Object.entries({ ...STATEMENTS, ...BUILT }))('%s', (_name, sql) => {
    expectValidTsql(sql);
  });

  it.each(Object.entries(STATEMENTS))('%s compares no nvarchar parameter with a varchar column', async (_name, sql) => {
    await expectTypedParameters(sql);
  });

  it('would notice a broken statement, and an untyped key comparison', async () => {
    expect(parseTsql(STATEMENTS.claimRequest.replace('WHERE NOT EXISTS', 'WHERE NOT EXIST'))).not.toEqual([]);
    const untyped = STATEMENTS.readRequest.replace('CAST(@p2 AS varchar(128))', '@p2');
    await expect(expectTypedParameters(untyped)).rejects.toThrow(/nvarchar compared with a varchar column/);
  });

  it('quotes the declared names as identifiers', () => {
    expect(table('preco_loja')).toBe('dbo.[preco_loja]');
    expect(column('a]; DROP TABLE x; --')).toBe('[a]]; DROP TABLE x; --]');
  });
});
