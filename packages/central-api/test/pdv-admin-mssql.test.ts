import { describe, expect, it } from 'vitest';
import { expectTypedParameters } from '../../core/test/support/mssql-parameter-types.js';
import { expectValidTsql } from '../../core/test/support/tsql-grammar.js';
import { CENTRAL_DOCTOR_SQL_MSSQL } from '../src/doctor/central-doctor-sql.mssql.js';
import { PDV_SQL_MSSQL } from '../src/pdv/pdv-store.mssql.js';

/** Every T-SQL statement of the PDV registry (admin commands, token lookups, last-seen times) and of central's doctor. */
const STATEMENTS: Record<string, string> = {
  ...Object.fromEntries(Object.entries(PDV_SQL_MSSQL).map(([name, sql]) => [`pdv registry: ${name}`, sql])),
  ...Object.fromEntries(Object.entries(CENTRAL_DOCTOR_SQL_MSSQL).map(([name, sql]) => [`central doctor: ${name}`, sql])),
};

describe('T-SQL of the PDV registry and of central-api doctor', () => {
  it.each(Object.entries(STATEMENTS))('%s parses under the SQL Server grammar', (_name, sql) => {
    expectValidTsql(sql);
  });

  it.each(Object.entries(STATEMENTS))('%s compares no nvarchar parameter with a varchar column', async (_name, sql) => {
    await expectTypedParameters(sql);
  });

  it.each([
    ['the row lock of an admin command', PDV_SQL_MSSQL.lockById, 'pdv_id = CAST(@p1 AS varchar(32))', 'pdv_id = @p1'],
    ['the last-seen join on the JSON rows', PDV_SQL_MSSQL.recordLastSeen, "pdv_id varchar(32) '$.pdv_id'", "pdv_id nvarchar(32) '$.pdv_id'"],
    ['a token rotation', PDV_SQL_MSSQL.replaceToken, 'WHERE pdv_id = CAST(@p1 AS varchar(32))', 'WHERE pdv_id = @p1'],
  ])('the typing check would notice an untyped comparison in %s', async (_what, sql, typed, untyped) => {
    expect(sql).toContain(typed);
    await expect(expectTypedParameters(sql.replace(typed, untyped))).rejects.toThrow(/nvarchar compared with a varchar column/);
  });

  it('the registry statements name the columns central/0011 adds, which the typing check knows from the script', () => {
    expect(PDV_SQL_MSSQL.listAll).toMatch(/token_issued_at, last_seen_at/);
    expect(PDV_SQL_MSSQL.recordLastSeen).toMatch(/p\.last_seen_at < s\.seen_at/);
  });
});
