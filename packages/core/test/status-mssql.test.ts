import { describe, expect, it } from 'vitest';
import * as statusSql from '../src/status/status-sql.mssql.js';
import { expectValidTsql } from './support/tsql-grammar.js';

describe('T-SQL of the status report', () => {
  it.each(Object.entries(statusSql))('%s parses', (_name, sql) => {
    expect(typeof sql).toBe('string');
    expectValidTsql(sql);
  });
});
