import { describe, it } from 'vitest';
import { expectValidTsql } from './support/tsql-grammar.js';
import { SCHEMA_SQL } from '../src/db/schema-sql.js';
import { RESET_SESSION_SETTINGS } from '../src/db/mssql.js';

/** The statements the core library itself emits on SQL Server parse under the T-SQL grammar. */
describe('core T-SQL', () => {
  it.each(Object.entries(SCHEMA_SQL.mssql).filter((entry): entry is [string, string] => entry[1] !== null))('schema runner: %s parses', (_name, sql) => {
    expectValidTsql(sql);
  });

  it('the session settings reset after a transaction parses', () => {
    expectValidTsql(RESET_SESSION_SETTINGS);
  });

  it('database contract probes parse', () => {
    expectValidTsql('SELECT 1 AS ok');
    expectValidTsql('SELECT transaction_isolation_level AS level FROM sys.dm_exec_sessions WHERE session_id = @@SPID');
  });
});
