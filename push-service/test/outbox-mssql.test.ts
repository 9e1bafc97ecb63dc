import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectTypedParameters } from '../../packages/core/test/support/mssql-parameter-types.js';
import { expectValidTsql, parseTsql } from '../../packages/core/test/support/tsql-grammar.js';
import * as outboxSql from '../src/outbox/outbox-sql.mssql.js';

/** Every T-SQL statement push-service can send parses under the T-SQL grammar and binds its parameters typed. */
describe('push-service outbox statements (mssql)', () => {
  it.each(Object.entries(outboxSql))('%s parses', (_name, sql) => {
    expectValidTsql(sql);
  });

  it.each(Object.entries(outboxSql))('%s compares no nvarchar parameter with a varchar column', async (_name, sql) => {
    await expectTypedParameters(sql);
  });

  it('the checks can fail', async () => {
    expect(parseTsql(outboxSql.claimBatch.replace('OUTPUT', 'OUTPUTT'))).not.toEqual([]);
    await expect(expectTypedParameters(outboxSql.releaseLeases.replace('lease_owner = @worker', 'lease_owner = @p1'))).rejects.toThrow(/lease_owner = @p1/);
  });
});

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MIGRATION = resolve(dirname(fileURLToPath(import.meta.url)), '../../common/mssql/pdv/outbox_id_sequence.sql');

/**
 * Documented SQL Server syntax that the test grammar (antlr4ts-sql 1.1.0) rejects, which the outbox's move to a
 * sequence needs. The script runs these through sp_executesql so that the rest of it can be parsed; this fails
 * once the grammar learns one of them, so that the statement can come out of its string.
 */
const GRAMMAR_GAPS = [
  {
    // NEXT VALUE FOR (SQL Server 2012 and later), here as a column default.
    sample: 'ALTER TABLE dbo.t ADD CONSTRAINT DF_t_id DEFAULT (NEXT VALUE FOR dbo.t_seq) FOR id;',
    inScript: "EXEC sys.sp_executesql N'ALTER TABLE [dbo].[sync_outbox] ADD CONSTRAINT DF_sync_outbox_outbox_id DEFAULT (NEXT VALUE FOR dbo.sync_outbox_id_seq) FOR outbox_id;';",
  },
  {
    // ALTER TABLE ... SWITCH TO between two nonpartitioned tables.
    sample: 'ALTER TABLE dbo.a SWITCH TO dbo.b;',
    inScript: "EXEC sys.sp_executesql N'ALTER TABLE dbo.sync_outbox_identity SWITCH TO dbo.sync_outbox;';",
  },
];

describe('the outbox id migration (mssql/pdv/outbox_id_sequence.sql)', () => {
  const script = readFileSync(MIGRATION, 'utf8');

  it.each(GRAMMAR_GAPS.map((gap) => [gap.sample, gap]))('runs through sp_executesql what the grammar still rejects: %s', (_sample, gap) => {
    expect(parseTsql(gap.sample)).not.toEqual([]);
    expect(script).toContain(gap.inScript);
  });

  it('leaves no other statement in a string', () => {
    const dynamic = script.match(/EXEC sys\.sp_executesql N'/g) ?? [];
    // The two gaps, and the sequence, whose START WITH takes only a constant.
    expect(dynamic).toHaveLength(GRAMMAR_GAPS.length);
    expect(script).toContain('EXEC sys.sp_executesql @sequence;');
  });
});

describe('the operators guide', () => {
  it('gives a query for the statements that error 334 would stop, and it parses', () => {
    const guide = readFileSync(join(REPO, 'docs/operators-guide.md'), 'utf8');
    const section = guide.slice(guide.indexOf('**What the capture triggers change for the POS program.**'));
    const query = /```sql\n([\s\S]*?)```/.exec(section)?.[1];
    expect(query).toContain('sys.dm_exec_query_stats');
    expectValidTsql(query!.replace(/^\s{2}/gm, ''));
  });
});
