import { describe, expect, it } from 'vitest';
import { describeDriverError, driverErrorFacts, isForeignKeyViolation, isLockTimeout } from '../src/db/driver-error.js';
import { classifyError } from '../src/retry/classify-error.js';
import { createPgliteDatabase } from '../src/db/pglite.js';

/** Errors shaped as the drivers throw them: tedious wraps its error in mssql's RequestError.originalError. */
const mssqlError = (number: number, message: string) => Object.assign(new Error(`RequestError: ${message}`), { originalError: Object.assign(new Error(message), { number }) });

describe('driver errors', () => {
  it('reads a real PostgreSQL foreign key violation (PGlite): SQLSTATE, detail, and the violation itself', async () => {
    const db = await createPgliteDatabase({ kind: 'pglite', dataDir: null });
    try {
      await db.executeScript('CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id))');
      const error = await db.query('INSERT INTO child VALUES (1, 42)').then(
        () => null,
        (e: unknown) => e,
      );
      const facts = driverErrorFacts(new Error('wrapped', { cause: error }));
      expect(facts.sqlState).toBe('23503');
      expect(facts.number).toBeNull();
      expect(facts.detail).toMatch(/Key \(parent_id\)=\(42\)/);
      expect(isForeignKeyViolation(error)).toBe(true);
      expect(isLockTimeout(error)).toBe(false);
      expect(describeDriverError(error)).toMatch(/^23503 .*foreign key.*\(Key \(parent_id\)=\(42\)/);
    } finally {
      await db.close();
    }
  });

  it('reads SQL Server numbers through mssql wrappers; 547 is a foreign key only when the message says so', () => {
    const fk = mssqlError(547, 'The INSERT statement conflicted with the FOREIGN KEY constraint "fk_x".');
    const check = mssqlError(547, 'The INSERT statement conflicted with the CHECK constraint "ck_x".');
    expect(driverErrorFacts(fk)).toMatchObject({ number: 547, sqlState: null, code: '547' });
    expect(isForeignKeyViolation(fk)).toBe(true);
    expect(isForeignKeyViolation(check)).toBe(false);
    expect(isLockTimeout(mssqlError(1222, 'Lock request time out period exceeded.'))).toBe(true);
    expect(isLockTimeout(Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' }))).toBe(true);
  });

  it('walks AggregateError members and precedingErrors, and stops on a cycle', () => {
    const looped: { cause?: unknown } & Error = new Error('loop');
    looped.cause = looped;
    expect(driverErrorFacts(looped)).toMatchObject({ code: null, message: 'loop' });
    const aggregate = new AggregateError([new Error('first'), Object.assign(new Error('reset'), { code: 'ECONNRESET' })]);
    expect(classifyError(aggregate)).toEqual({ transient: true, reason: 'net:ECONNRESET' });
    const preceding = Object.assign(new Error('last'), { precedingErrors: [Object.assign(new Error('deadlock'), { number: 1205 })] });
    expect(driverErrorFacts(preceding).number).toBe(1205);
    expect(classifyError(preceding).transient).toBe(true);
  });
});
