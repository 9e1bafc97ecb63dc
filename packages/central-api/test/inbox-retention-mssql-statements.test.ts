import { describe, expect, it } from 'vitest';
import { expectTypedParameters } from '../../core/test/support/mssql-parameter-types.js';
import { expectValidTsql, parseTsql } from '../../core/test/support/tsql-grammar.js';
import { lockTimeoutSql, NEXT_PDV, PURGE_BATCH } from '../src/ingest/inbox-purge-store.mssql.js';
import { INSERT_NEW_EVENTS, PURGED_AMONG, READ_STORED_EVENTS } from '../src/ingest/inbox-store.mssql.js';

/** Every T-SQL statement of the inbox retention, and the ingest statements that read its key-only records. */
const STATEMENTS: Record<string, string> = {
  'purge: next PDV with inbox rows': NEXT_PDV,
  'purge: one batch (delete, record the keys)': PURGE_BATCH,
  'purge: lock timeout': lockTimeoutSql(2_000),
  'ingest: insert new events, skipping purged keys': INSERT_NEW_EVENTS,
  'ingest: read stored events, purged ones included': READ_STORED_EVENTS,
  'ingest: keys a purge recorded meanwhile': PURGED_AMONG,
};

describe('T-SQL of the inbox retention parses under the SQL Server grammar', () => {
  it.each(Object.entries(STATEMENTS))('%s', (_name, sql) => {
    expectValidTsql(sql);
  });

  it.each(Object.entries(STATEMENTS))('%s compares no nvarchar parameter with a varchar column', async (_name, sql) => {
    await expectTypedParameters(sql);
  });

  it('would notice a broken purge batch, and an untyped PDV id', async () => {
    expect(parseTsql(PURGE_BATCH.replace('DELETE FROM doomed', 'DELETE FROM doomed doomed doomed'))).not.toEqual([]);
    expect(parseTsql(PURGE_BATCH.replace('INTO @gone (', 'INTO @gone ('.replace('(', '((')))).not.toEqual([]);
    await expect(expectTypedParameters(PURGE_BATCH.replace('i.pdv_id = CAST(@p1 AS varchar(32))', 'i.pdv_id = @p1'))).rejects.toThrow(/nvarchar compared with a varchar column/);
    await expect(expectTypedParameters(PURGED_AMONG.replace('p.pdv_id = CAST(@p1 AS varchar(32))', 'p.pdv_id = @p1'))).rejects.toThrow(/nvarchar compared with a varchar column/);
  });

  it('skips the rows another purge holds, and records only the keys not recorded before', () => {
    expect(PURGE_BATCH).toContain('WITH (UPDLOCK, READPAST, READCOMMITTEDLOCK, ROWLOCK)');
    expect(PURGE_BATCH).toContain("i.status = 'applied'");
    expect(PURGE_BATCH).toMatch(/WHERE NOT EXISTS \(SELECT 1 FROM dbo\.sync_inbox_purged AS p WHERE p\.pdv_id = g\.pdv_id AND p\.event_id = g\.event_id\)/);
    expect(INSERT_NEW_EVENTS).toContain('FROM dbo.sync_inbox_purged AS p');
  });
});
