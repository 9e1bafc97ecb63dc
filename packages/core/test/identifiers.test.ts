import { describe, expect, it } from 'vitest';
import { createPgliteDatabase } from '../src/db/pglite.js';
import { InvalidIdentifierError, quoteIdentifier, quoteNameLiteral, quoteQualifiedName } from '../src/db/identifiers.js';
import { expectValidTsql } from './support/tsql-grammar.js';

const AWKWARD = ['Tabela de Preço', 'select', 'CodProduto', 'a"b', 'x]y', "it's", 'ção'];

describe('quoteIdentifier', () => {
  it('doubles the closing quote, so any name means exactly itself', () => {
    expect(quoteIdentifier('postgres', 'a"b')).toBe('"a""b"');
    expect(quoteIdentifier('mssql', 'x]y')).toBe('[x]]y]');
    expect(quoteQualifiedName('mssql', 'cad', 'Produto')).toBe('[cad].[Produto]');
    expect(quoteQualifiedName('postgres', null, 'Produto')).toBe('"Produto"');
    expect(quoteNameLiteral('mssql', "it's")).toBe("N'it''s'");
  });

  it('refuses names no catalog can hold, with a typed error', () => {
    for (const bad of ['', 'x'.repeat(129), 'a\u0000b', 'line\nbreak']) {
      expect(() => quoteIdentifier('postgres', bad)).toThrow(InvalidIdentifierError);
      expect(() => quoteIdentifier('mssql', bad)).toThrow(InvalidIdentifierError);
    }
  });

  it('round-trips awkward names through a real PostgreSQL catalog (PGlite)', async () => {
    const db = await createPgliteDatabase({ kind: 'pglite', dataDir: null });
    try {
      for (const name of AWKWARD) {
        const table = quoteQualifiedName('postgres', 'public', name);
        await db.executeScript(`CREATE TABLE ${table} (${quoteIdentifier('postgres', name)} int)`);
        await db.query(`INSERT INTO ${table} VALUES (1)`);
        const { rows } = await db.query<{ n: number; column_name: string }>(
          `SELECT (SELECT count(*)::int FROM ${table}) AS n, column_name FROM information_schema.columns WHERE table_name = ${quoteNameLiteral('postgres', name)}`,
        );
        expect(rows).toEqual([{ n: 1, column_name: name }]);
      }
    } finally {
      await db.close();
    }
  });

  it('gives T-SQL that parses for each awkward name', () => {
    for (const name of AWKWARD) {
      const table = quoteQualifiedName('mssql', 'cad', name);
      expectValidTsql(`SELECT ${quoteIdentifier('mssql', name)} FROM ${table} WHERE ${quoteIdentifier('mssql', name)} = ${quoteNameLiteral('mssql', name)};`);
    }
  });
});
