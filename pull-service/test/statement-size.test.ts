import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, parseEnv, type SyncRow } from '@goldpdv/core';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { pullEnv } from '../src/config.js';
import { MAX_ROWS_PER_STATEMENT } from '../src/db/statement-size.js';
import { parseTableMapping } from '../src/plan/table-mapping.js';
import { observe } from './support/observed-database.js';
import { createPdvDatabase, insertCategorias, plannedTable } from './support/pull-fixtures.js';

/**
 * SQL Server escalates a statement of about 5,000 row locks to a table lock, which would hold a sale's read of the
 * price table until the page commits: no apply statement touches more than MAX_ROWS_PER_STATEMENT rows.
 */
describe('rows per statement', () => {
  const env = { PDV_ID: 'loja01-pdv01', CENTRAL_API_URL: 'http://127.0.0.1:9', CENTRAL_API_TOKEN: 'token-of-the-test' };
  const parse = (extra: Record<string, string>) => parseEnv(z.object(pullEnv), { ...env, ...extra }, new Set(['CENTRAL_API_TOKEN']));

  it('bounds PULL_PAGE_SIZE below the lock escalation, with one line saying why', () => {
    expect(MAX_ROWS_PER_STATEMENT).toBeLessThan(5_000);
    expect(parse({}).PULL_PAGE_SIZE).toBe(500);
    expect(parse({ PULL_PAGE_SIZE: String(MAX_ROWS_PER_STATEMENT) }).PULL_PAGE_SIZE).toBe(MAX_ROWS_PER_STATEMENT);
    let caught: unknown;
    try {
      parse({ PULL_PAGE_SIZE: '5000' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toBe(
      `PULL_PAGE_SIZE: expected an integer <= ${MAX_ROWS_PER_STATEMENT} (SQL Server escalates a statement of about 5000 row locks to a table lock, which would hold the sales back); found "5000"`,
    );
    expect(() => parse({ PULL_PAGE_SIZE: '0' })).toThrow('PULL_PAGE_SIZE: expected an integer >= 1');
  });

  it("bounds a table's batchSize the same way", () => {
    expect(parseTableMapping({ tables: [{ table: 'produto', batchSize: MAX_ROWS_PER_STATEMENT }] }, 'm.json').tables[0]!.batchSize).toBe(MAX_ROWS_PER_STATEMENT);
    expect(() => parseTableMapping({ tables: [{ table: 'produto', batchSize: MAX_ROWS_PER_STATEMENT + 1 }] }, 'm.json')).toThrow(
      `PULL_TABLES_FILE: m.json: tables[0].batchSize: expected at most ${MAX_ROWS_PER_STATEMENT} (SQL Server escalates`,
    );
  });
});

describeBackends('pending deletes, however many', (backend) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createPdvDatabase(backend);
    await insertCategorias(t.db, [1, 2, 3]);
  });
  afterEach(async () => t.dispose());

  it(`are deleted ${MAX_ROWS_PER_STATEMENT} keys at a time`, async () => {
    const observed = observe(t.db);
    const { rows } = await plannedTable(observed, 'categoria');
    const keys: SyncRow[] = Array.from({ length: 2 * MAX_ROWS_PER_STATEMENT + 1 }, (_, i) => ({ categoria_id: i + 2 }));
    const left = await observed.transaction((tx) => rows.deleteKeys(tx, keys));
    expect(left).toEqual([]);
    const deletes = observed.statements.filter((sql) => /^DELETE/.test(sql.trim()));
    expect(deletes).toHaveLength(3);
    expect((await t.db.query<{ categoria_id: number }>('SELECT categoria_id FROM categoria')).rows.map((row) => row.categoria_id)).toEqual([1]);
  });
});
