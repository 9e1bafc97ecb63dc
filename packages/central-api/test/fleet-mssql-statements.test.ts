import { describe, expect, it } from 'vitest';
import { expectTypedParameters } from '../../core/test/support/mssql-parameter-types.js';
import { expectValidTsql, parseTsql } from '../../core/test/support/tsql-grammar.js';
import { STATUS_REPORT_SQL_MSSQL } from '../src/pdv/status-report-store.mssql.js';

/** The T-SQL of the fleet view's status reports (central/0012). No SQL Server runs here: the grammar is the check. */
const STATEMENTS = Object.entries(STATUS_REPORT_SQL_MSSQL).map(([name, sql]) => [`status reports: ${name}`, sql] as const);

describe('T-SQL of the PDV status reports', () => {
  it.each(STATEMENTS)('%s parses under the SQL Server grammar', (_name, sql) => {
    expectValidTsql(sql);
  });

  it.each(STATEMENTS)('%s compares no nvarchar parameter with a varchar column', async (_name, sql) => {
    await expectTypedParameters(sql);
  });

  it('the upsert is one MERGE under HOLDLOCK that never moves a report backwards, and the grammar notices a broken one', () => {
    expect(STATUS_REPORT_SQL_MSSQL.upsert).toMatch(/^MERGE dbo\.sync_pdv_status WITH \(HOLDLOCK\)/);
    expect(STATUS_REPORT_SQL_MSSQL.upsert).toContain('WHEN MATCHED AND target.received_at <= source.received_at');
    expect(parseTsql(STATUS_REPORT_SQL_MSSQL.upsert.replace('WHEN NOT MATCHED THEN', 'WHEN NOT MATCHED'))).not.toEqual([]);
  });
});
