import { describe, expect, it } from 'vitest';
import { expectTypedParameters } from '../../core/test/support/mssql-parameter-types.js';
import { expectValidTsql, parseTsql } from '../../core/test/support/tsql-grammar.js';
import {
  beginSql,
  handlerCallSql,
  INSERT_NEW_EVENTS,
  quoteMssqlRoutine,
  READ_STORED_EVENTS,
  REMOVE_EVENT,
  rollbackToSql,
  ROUTINE_EXISTS,
  SAVE_RESULT,
  savepointSql,
} from '../src/ingest/inbox-store.mssql.js';
import { quotePostgresRoutine } from '../src/ingest/inbox-store.postgres.js';
import { PDV_SQL_MSSQL } from '../src/pdv/pdv-store.mssql.js';

/** Every T-SQL statement central-api can send. No SQL Server runs here, so the grammar is the check. */
const STATEMENTS: Record<string, string> = {
  'inbox: insert new events': INSERT_NEW_EVENTS,
  'inbox: read stored events': READ_STORED_EVENTS,
  'inbox: save a handler result': SAVE_RESULT,
  'inbox: remove a refused event': REMOVE_EVENT,
  'inbox: begin (lock timeout and batch savepoint)': beginSql(5_000),
  'inbox: savepoint': savepointSql('sync_handler'),
  'inbox: roll back to a savepoint': rollbackToSql('sync_item'),
  'handler: call sync_handle_venda': handlerCallSql('sync_handle_venda'),
  'handler: call sync_handle_caixa_movimento': handlerCallSql('sync_handle_caixa_movimento'),
  'handler: routine exists': ROUTINE_EXISTS,
  'pdv: find by token hash': PDV_SQL_MSSQL.findByTokenHash,
  'pdv: list active tokens (cache revalidation)': PDV_SQL_MSSQL.listActiveTokens,
  'pdv: loja exists': PDV_SQL_MSSQL.lojaExists,
  'pdv: upsert (PDV_TOKENS)': PDV_SQL_MSSQL.upsert,
  'health: readiness probe': 'SELECT 1 AS ok',
};

describe('T-SQL emitted by central-api parses under the SQL Server grammar', () => {
  it.each(Object.entries(STATEMENTS))('%s', (_name, sql) => {
    expectValidTsql(sql);
  });

  it('the grammar would notice a broken statement of the same kind', () => {
    expect(parseTsql(INSERT_NEW_EVENTS.replace('SELECT CAST(@p1', 'SELEC CAST(@p1'))).not.toEqual([]);
  });
});

describe('central-api binds its parameters with the columns\' types', () => {
  it.each(Object.entries(STATEMENTS))('%s compares no nvarchar parameter with a varchar column', async (_name, sql) => {
    await expectTypedParameters(sql);
  });

  it.each([
    ['the inbox key check under UPDLOCK, HOLDLOCK', INSERT_NEW_EVENTS, 'i.pdv_id = CAST(@p1 AS varchar(32))', 'i.pdv_id = @p1'],
    ['the token lookup', PDV_SQL_MSSQL.findByTokenHash, 'token_hash = CAST(@p1 AS char(64))', 'token_hash = @p1'],
  ])('would notice an untyped parameter in %s', async (_what, sql, typed, untyped) => {
    expect(sql).toContain(typed);
    await expect(expectTypedParameters(sql.replace(typed, untyped))).rejects.toThrow(/nvarchar compared with a varchar column/);
  });
});

describe('routine names from EVENT_HANDLERS', () => {
  it.each(['sync_handle_venda;DROP TABLE x', 'a]b', 'A', '1abc', 'x'.repeat(64), 'a b', 'a"b'])('are refused before quoting: %s', (name) => {
    expect(() => quoteMssqlRoutine(name)).toThrow(/not a valid routine name/);
    expect(() => quotePostgresRoutine(name)).toThrow(/not a valid routine name/);
  });

  it('are quoted as identifiers', () => {
    expect(handlerCallSql('sync_handle_venda')).toBe('EXEC dbo.[sync_handle_venda] @payload = @p1, @pdv_id = @p2;');
    expect(quotePostgresRoutine('sync_handle_venda')).toBe('"sync_handle_venda"');
  });
});
