import { Writable } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { applySchema, createLogger, type SyncLogger } from '@goldpdv/core';
import { describeBackends, type TestDatabase } from '../../core/test/support/backends.js';
import { expectValidTsql } from '../../core/test/support/tsql-grammar.js';
import { applyChangeRetention } from '../src/change-retention/change-retention.js';
import { MSSQL_CHANGE_RETENTION, READ_RETENTION_SQL, setRetentionSql } from '../src/change-retention/change-retention.mssql.js';
import { POSTGRES_CHANGE_RETENTION } from '../src/change-retention/change-retention.postgres.js';

describeBackends('CT_RETENTION_DAYS is applied at every start, not only when the schema script first runs', (backend) => {
  let t: TestDatabase;
  let logging: SyncLogger;
  const lines: { msg: string; fromDays?: number; toDays?: number }[] = [];
  beforeEach(async () => {
    t = await backend.create();
    await applySchema(t.db, { role: 'central' });
    lines.length = 0;
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { msg: string });
        done();
      },
    });
    logging = createLogger('central-api', { level: 'info', dir: null, fileMaxSize: '10m', fileFrequency: 'daily', fileCount: 1, pretty: false }, { destination });
  });
  afterEach(async () => {
    await logging.close();
    await t.dispose();
  });

  const readDays = () =>
    t.db.dialect === 'mssql' ? MSSQL_CHANGE_RETENTION.readDays(t.db) : POSTGRES_CHANGE_RETENTION.readDays(t.db);

  it('a changed value reaches the database; the same value again writes nothing; unset leaves it as it is', async () => {
    expect(await readDays()).toBe(7);
    await applyChangeRetention(t.db, 30, logging.logger);
    expect(await readDays()).toBe(30);
    await applyChangeRetention(t.db, 30, logging.logger);
    await applyChangeRetention(t.db, undefined, logging.logger);
    expect(await readDays()).toBe(30);
    await applyChangeRetention(t.db, 14, logging.logger);
    expect(await readDays()).toBe(14);
    await logging.flush();
    expect(lines.filter((line) => line.msg.startsWith('change retention')).map((line) => [line.msg.split(' (')[0], line.fromDays, line.toDays])).toEqual([
      ['change retention set', 7, 30],
      ['change retention shortened', 30, 14],
    ]);
  });
});

it('the SQL Server statements parse, and the number of days is checked before it reaches ALTER DATABASE', () => {
  expectValidTsql(READ_RETENTION_SQL);
  expect(() => setRetentionSql(1.5)).toThrow(RangeError);
  // The grammar does not know CHANGE_RETENTION with a number (a known gap, see mssql-scripts.test.ts); the
  // statement is checked against the documented form instead.
  expect(setRetentionSql(30)).toBe('ALTER DATABASE CURRENT SET CHANGE_TRACKING (CHANGE_RETENTION = 30 DAYS, AUTO_CLEANUP = ON);');
});
