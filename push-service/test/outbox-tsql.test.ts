import { describe, expect, it } from 'vitest';
import { expectValidTsql, parseTsql } from '../../packages/core/test/support/tsql-grammar.js';
import * as outboxSql from '../src/outbox/outbox-sql.mssql.js';

/** Every T-SQL statement push-service can send parses under the T-SQL grammar. */
describe('push-service T-SQL', () => {
  it.each(Object.entries(outboxSql))('%s parses', (_name, sql) => {
    expectValidTsql(sql);
  });

  it('the check can fail', () => {
    expect(parseTsql(outboxSql.claimBatch.replace('OUTPUT', 'OUTPUTT'))).not.toEqual([]);
  });
});
