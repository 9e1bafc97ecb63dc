import { describe, expect, it } from 'vitest';
import { createPgliteDatabase } from '../src/db/pglite.js';
import { checkDatabaseAtStart, compatibilityProblem, DATABASE_PROBE } from '../src/db/startup-check.js';
import { expectValidTsql } from './support/tsql-grammar.js';

describe('the start-up database check', () => {
  it('names the database, its level and the fix when SQL Server runs it below compatibility level 130', () => {
    expect(compatibilityProblem('mssql', { database: 'GoldPDV', level: 110 })).toBe(
      'DB_NAME: database GoldPDV has compatibility level 110; OPENJSON, which every sync statement uses, needs 130 or higher. Fix: ALTER DATABASE [GoldPDV] SET COMPATIBILITY_LEVEL = 130 (or the highest the server offers), once the POS software is known to work with it',
    );
    expect(compatibilityProblem('mssql', { database: 'GoldPDV', level: 130 })).toBeNull();
    expect(compatibilityProblem('mssql', { database: 'GoldPDV', level: 160 })).toBeNull();
    expect(compatibilityProblem('postgres', { database: 'pdv', level: 120_015 })).toMatch(/^DB_NAME: database pdv is on PostgreSQL 12; the change log needs PostgreSQL 13/);
    expect(compatibilityProblem('postgres', { database: 'pdv', level: 150_019 })).toBeNull();
  });

  it('reads the real level of an embedded database (PGlite), which passes', async () => {
    const db = await createPgliteDatabase({ kind: 'pglite', dataDir: null });
    try {
      const identity = await checkDatabaseAtStart(db, { kind: 'pglite', dataDir: null });
      expect(identity.database).toBe('postgres');
      expect(identity.level).toBeGreaterThanOrEqual(130_000);
    } finally {
      await db.close();
    }
  });

  it('the SQL Server probe parses', () => {
    expectValidTsql(DATABASE_PROBE.mssql);
  });
});
