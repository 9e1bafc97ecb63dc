import { describe, expect, it } from 'vitest';
import { SCHEMA_SQL } from '../src/db/schema-sql.js';
import * as statusSql from '../src/status/status-sql.mssql.js';
import { expectTypedParameters, mssqlColumnTypes, untypedParameterComparisons } from './support/mssql-parameter-types.js';

describe('the parameter-typing check tells a varchar column met by nvarchar from a safe comparison', () => {
  it('knows the column types the scripts create', async () => {
    const types = await mssqlColumnTypes();
    expect(types.get('sync_inbox')?.get('pdv_id')).toBe('varchar');
    expect(types.get('sync_inbox')?.get('stream_key')).toBe('nvarchar');
    expect(types.get('sync_checkpoint')?.get('table_name')).toBe('varchar');
  });

  it.each([
    ['a bare parameter against a varchar column', 'SELECT 1 FROM dbo.sync_inbox AS i WITH (UPDLOCK, HOLDLOCK) WHERE i.pdv_id = @p1;', ['i.pdv_id = @p1']],
    ['the parameter first, unqualified column', 'UPDATE dbo.sync_checkpoint SET mode = @p2 WHERE @p1 = table_name;', ['mode = @p2', '@p1 = table_name']],
    ['plain OPENJSON [value] against a varchar key', 'INSERT INTO dbo.sync_checkpoint (table_name) SELECT j.[value] FROM OPENJSON(@p1) AS j WHERE NOT EXISTS (SELECT 1 FROM dbo.sync_checkpoint AS c WHERE c.table_name = j.[value]);', ['c.table_name = j.[value]']],
    ['an OPENJSON WITH column declared nvarchar', "SELECT 1 FROM OPENJSON(@p1) WITH (pdv nvarchar(32) '$.pdv') AS j JOIN dbo.sync_pdv AS p ON p.pdv_id = j.pdv;", ['p.pdv_id = j.pdv']],
    ['JSON_VALUE against a varchar column', "SELECT 1 FROM dbo.sync_pdv AS p WHERE p.token_hash = JSON_VALUE(@p1, '$.hash');", ['p.token_hash = JSON_VALUE(']],
  ])('flags %s', (_case, sql, expected) => {
    return mssqlColumnTypes().then((types) => expect(untypedParameterComparisons(sql, types).map((f) => f.trim())).toEqual(expected));
  });

  it.each([
    ['a CAST parameter', 'SELECT 1 FROM dbo.sync_inbox AS i WHERE i.pdv_id = CAST(@p1 AS varchar(32));'],
    ['an nvarchar column', 'SELECT 1 FROM dbo.sync_inbox AS i WHERE i.stream_key = @p1;'],
    ['an OPENJSON WITH column declared varchar', "SELECT 1 FROM OPENJSON(@p1) WITH (pdv varchar(32) '$.pdv') AS j JOIN dbo.sync_pdv AS p ON p.pdv_id = j.pdv;"],
    ['a literal that looks like a comparison', "SELECT N'pdv_id = @p1' AS text FROM dbo.sync_pdv;"],
    ['an int column', 'SELECT 1 FROM dbo.sync_pdv WHERE loja_id = @p1;'],
  ])('passes %s', async (_case, sql) => {
    await expectTypedParameters(sql);
  });
});

describe("core's own SQL Server statements bind parameters with the columns' types", () => {
  it.each([...Object.entries(SCHEMA_SQL.mssql), ...Object.entries(statusSql)].filter(([, sql]) => typeof sql === 'string'))('%s', async (_name, sql) => {
    await expectTypedParameters(sql as string);
  });
});
