import { describe, expect, it } from 'vitest';
import { DOCTOR_SQL_MSSQL } from '../src/doctor/doctor-sql.mssql.js';
import { expectTypedParameters } from './support/mssql-parameter-types.js';
import { expectValidTsql, parseTsql } from './support/tsql-grammar.js';

describe('T-SQL probes of doctor (core)', () => {
  it.each(Object.entries(DOCTOR_SQL_MSSQL))('%s parses under the SQL Server grammar', (_name, sql) => {
    expectValidTsql(sql);
  });

  it.each(Object.entries(DOCTOR_SQL_MSSQL))('%s compares no nvarchar parameter with a varchar column', async (_name, sql) => {
    await expectTypedParameters(sql);
  });

  it('the grammar would notice a broken probe of the same kind', () => {
    expect(parseTsql(DOCTOR_SQL_MSSQL.permissions.replace('HAS_PERMS_BY_NAME(', 'HAS_PERMS_BY_NAME(,'))).not.toEqual([]);
  });

  it('the collation probe tells case- or accent-insensitive collations by their name parts', () => {
    // The LIKE patterns escape the underscore ([_]): a bare _ would match any character.
    expect(DOCTOR_SQL_MSSQL.keyCollations).toContain("LIKE N'%[_]CI[_]%'");
    expect(DOCTOR_SQL_MSSQL.keyCollations).toContain("LIKE N'%[_]AI'");
  });
});
