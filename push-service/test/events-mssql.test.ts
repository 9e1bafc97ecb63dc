import { describe, expect, it } from 'vitest';
import { mssqlColumnTypes, expectTypedParameters } from '../../packages/core/test/support/mssql-parameter-types.js';
import { expectValidTsql, parseTsql } from '../../packages/core/test/support/tsql-grammar.js';
import * as captureSql from '../src/events/capture/capture-sql.mssql.js';
import { sweepStatements } from '../src/events/capture/sweep-sql.js';
import { parseEventsDeclaration } from '../src/events/declaration/load-declaration.js';
import type { EventsModel } from '../src/events/declaration/events-model.js';
import { eventsScript } from '../src/events/generate/events-script.js';
import { MSSQL_TEXT } from '../src/events/generate/sql-text.js';
import * as catalogSql from '../src/events/payload/catalog-sql.mssql.js';
import { ColumnCatalog, catalogProblems } from '../src/events/payload/column-catalog.js';
import { payloadStatements } from '../src/events/payload/payload-sql.js';
import { localFiguresSql } from '../src/events/reconcile/local-figures-sql.js';
import * as reconciliationSql from '../src/events/reconcile/reconciliation-sql.mssql.js';
import { loadEventsDeclaration } from '../src/events/declaration/load-declaration.js';
import { BUNDLED_EVENTS_FILE } from '../src/config.js';
import { SECOND_SCHEMA_DDL, SECOND_SCHEMA_DECLARATION } from './support/second-schema.js';

/**
 * Every T-SQL text the declared events can produce, for the sample declaration and for the second schema's: the
 * generated script (batch by batch, as the schema runner sends them), the statements generated at run time
 * (payloads, sweep, reconciliation), and the fixed ones. Each parses under the T-SQL grammar and compares no
 * nvarchar value with a varchar column of the project's tables. (The POS tables' own columns are compared only
 * with keys typed as those columns, OPENJSON ... WITH (k0 int) or CAST(@pN AS int), by construction.)
 */

/** The column types of the second schema's tables, read from its SQL Server DDL. */
function secondSchemaTypes(): Map<string, Map<string, string>> {
  const tables = new Map<string, Map<string, string>>();
  for (const [, table, body] of SECOND_SCHEMA_DDL.mssql.matchAll(/CREATE TABLE vendas\.(\w+) \(([\s\S]*?)\n\);/g)) {
    const columns = new Map<string, string>();
    for (const [, name, type] of body!.matchAll(/^\s*(\w+)\s+(\w+)/gm)) if (name !== 'PRIMARY') columns.set(name!.toLowerCase(), type!.toLowerCase());
    tables.set(`vendas.${table}`, columns);
  }
  return tables;
}

async function sampleCatalog(): Promise<ColumnCatalog> {
  const types = await mssqlColumnTypes();
  return new ColumnCatalog('mssql', new Map([...types].map(([table, columns]) => [table, new Map(columns)])));
}

const sample = loadEventsDeclaration(BUNDLED_EVENTS_FILE);
const second = parseEventsDeclaration(SECOND_SCHEMA_DECLARATION, 'second-schema.json');

/** Batches as the schema runner splits a SQL Server script: on lines that hold only GO. */
const batchesOf = (script: string) => script.split(/^\s*GO\s*$/im).map((b) => b.trim()).filter(Boolean);

async function generatedStatements(model: EventsModel, catalog: ColumnCatalog): Promise<[string, string][]> {
  expect(catalogProblems(model, catalog)).toEqual([]);
  const statements: [string, string][] = [];
  for (const event of model.events) {
    const payload = payloadStatements(event, catalog, MSSQL_TEXT);
    statements.push([`${event.type} payload`, payload.parent]);
    for (const child of payload.children) statements.push([`${event.type} ${child.field}`, child.sql]);
  }
  for (const source of model.sources) {
    const sweep = sweepStatements(source, MSSQL_TEXT);
    for (const name of ['pageFirst', 'pageAfter', 'candidatesFirst', 'candidatesAfter'] as const) statements.push([`${source.id} sweep ${name}`, sweep[name]]);
  }
  if (model.reconciliation) statements.push(['local figures', localFiguresSql(model.reconciliation, catalog, MSSQL_TEXT)]);
  return statements;
}

describe.each([
  ['the sample declaration', sample, sampleCatalog],
  ['the second schema\'s declaration', second, async () => new ColumnCatalog('mssql', secondSchemaTypes())],
] as const)('generated T-SQL of %s', (_name, model, catalog) => {
  const script = eventsScript(model, 'mssql');

  it.each(batchesOf(script).map((batch, i) => [i + 1, batch]))('script batch %i parses', (_i, batch) => {
    expectValidTsql(batch);
  });

  it('creates one capture trigger per source table, each alone in its batch, and nothing else on POS tables', () => {
    const triggers = batchesOf(script).filter((b) => /CREATE OR ALTER TRIGGER/.test(b));
    expect(triggers).toHaveLength(model.sources.length);
    for (const trigger of triggers) {
      expect(trigger.replace(/^--.*\n/gm, '').trimStart()).toMatch(/^CREATE OR ALTER TRIGGER/);
      // What runs inside the sale: one INSERT into dbo.sync_capture, nothing that calls out or converts with a style.
      expect(trigger.match(/INSERT INTO/g)).toHaveLength(1);
      expect(trigger).toContain('INSERT INTO dbo.sync_capture');
      expect(trigger).toContain('SET ROWCOUNT 0;');
      expect(trigger).not.toMatch(/\bEXEC\b|dbo\.sync_(?!capture\b)|sync_outbox|TRY_|CAST\(/i);
    }
  });

  it('every statement generated at run time parses and binds its parameters typed', async () => {
    for (const [name, sql] of await generatedStatements(model, await catalog())) {
      try {
        expectValidTsql(sql);
        await expectTypedParameters(sql);
      } catch (error) {
        throw new Error(`${name}: ${(error as Error).message}`);
      }
    }
  });
});

describe('fixed T-SQL statements of the declared events', () => {
  const fixed = Object.entries({ ...captureSql, ...catalogSql, ...reconciliationSql });

  it.each(fixed)('%s parses', (_name, sql) => {
    expectValidTsql(sql);
  });

  it.each(fixed)('%s compares no nvarchar parameter with a varchar column', async (_name, sql) => {
    await expectTypedParameters(sql);
  });

  it('the checks can fail', async () => {
    expect(parseTsql(captureSql.readCaptures.replace('READPAST', 'READPAST,'))).not.toEqual([]);
    await expect(expectTypedParameters(captureSql.readStates.replace("key_text varchar(200) '$.k'", "key_text nvarchar(200) '$.k'"))).rejects.toThrow(/key_text/);
    const trigger = batchesOf(eventsScript(second, 'mssql')).find((b) => b.includes('CREATE OR ALTER TRIGGER'))!;
    expect(parseTsql(trigger.replace('AFTER INSERT, UPDATE', 'AFTER INSERT UPDATE'))).not.toEqual([]);
  });
});
