import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSqlScript } from '../src/db/sql-script.js';
import { SCRIPT_HISTORY } from '../src/db/script-history.js';
import { expectValidTsql, parseTsql } from './support/tsql-grammar.js';

const COMMON = resolve(dirname(fileURLToPath(import.meta.url)), '../../../common');
const ENTRY_SCRIPTS = ['sqlserver_enable_change_tracking.sql', 'pdv_aux_tables.sql'].map((f) => join(COMMON, f));

function sqlFilesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.sql'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

const FILES = [...sqlFilesUnder(join(COMMON, 'mssql')), ...ENTRY_SCRIPTS];

/**
 * Documented SQL Server syntax that the antlr4ts-sql 1.1.0 grammar rejects. Rewriting these to please the
 * grammar would make them wrong on SQL Server, so each one is swapped for a stand-in statement before parsing
 * (the IF guards around them are still parsed). A test below fails when the grammar learns one of them, or
 * when the scripts stop using one, so the list cannot rot.
 */
const GRAMMAR_GAPS: { sample: string; pattern: RegExp; standIn?: string }[] = [
  {
    // The grammar's rule is `CHANGE_RETENTION = DAYS`: no number, no parentheses.
    sample: 'ALTER DATABASE CURRENT SET CHANGE_TRACKING = ON (CHANGE_RETENTION = 7 DAYS, AUTO_CLEANUP = ON);',
    pattern: /ALTER DATABASE CURRENT SET CHANGE_TRACKING = ON \(CHANGE_RETENTION = \d+ DAYS, AUTO_CLEANUP = ON\);/g,
  },
  {
    // Changing the settings once Change Tracking is on: the grammar only has `CHANGE_TRACKING = ...`.
    sample: 'ALTER DATABASE CURRENT SET CHANGE_TRACKING (CHANGE_RETENTION = 7 DAYS, AUTO_CLEANUP = ON);',
    pattern: /ALTER DATABASE CURRENT SET CHANGE_TRACKING \(CHANGE_RETENTION = \d+ DAYS, AUTO_CLEANUP = ON\);/g,
  },
  {
    // The grammar's ALTER TABLE ... ENABLE only knows TRIGGER.
    sample: 'ALTER TABLE dbo.produto ENABLE CHANGE_TRACKING WITH (TRACK_COLUMNS_UPDATED = OFF);',
    pattern: /ALTER TABLE dbo\.\w+ ENABLE CHANGE_TRACKING WITH \(TRACK_COLUMNS_UPDATED = OFF\);/g,
  },
  {
    // The grammar has CREATE VIEW but no ALTER VIEW. The stand-in keeps the view's body, so it is still parsed.
    sample: 'ALTER VIEW dbo.v AS SELECT 1 AS a;',
    pattern: /^ALTER VIEW (?=\S+ AS\b)/gm,
    standIn: 'CREATE VIEW ',
  },
];
const STAND_IN = "PRINT N'statement the grammar does not know';";

const withStandIns = (batch: string): string =>
  GRAMMAR_GAPS.reduce((sql, gap) => sql.replace(gap.pattern, gap.standIn ?? STAND_IN), batch);
const withoutComments = (sql: string): string => sql.replace(/--.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
const COLUMN_START = /^\s*\w+\s+(?:int|bigint|bit|n?varchar|n?char|decimal|money|date|datetime2|datetimeoffset|time|uniqueidentifier|varbinary)\b/im;

/** Splits a CREATE TABLE body at the commas that are not inside parentheses. */
function topLevelPieces(body: string): string[] {
  const pieces = [''];
  let depth = 0;
  for (const char of body) {
    depth += char === '(' ? 1 : char === ')' ? -1 : 0;
    if (char === ',' && depth === 0) pieces.push('');
    else pieces[pieces.length - 1] += char;
  }
  return pieces;
}

const countOf = (sql: string, pattern: RegExp): number => sql.match(pattern)?.length ?? 0;

describe('SQL Server scripts parse under the T-SQL grammar', () => {
  it('finds the scripts', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(7);
  });

  it.each(FILES.map((file) => [relative(COMMON, file), file]))('%s', async (_name, file) => {
    const { batches } = await loadSqlScript(file, { dialect: 'mssql' });
    expect(batches.length).toBeGreaterThan(0);
    for (const batch of batches) expectValidTsql(withStandIns(batch));
  });
});

describe('the grammar check itself', () => {
  it('rejects broken T-SQL', () => {
    expect(parseTsql('SELEC 1 FROM')).not.toEqual([]);
    expect(() => expectValidTsql('SELECT 1;\nSELECT a FROM WHERE;')).toThrow(/SELECT a FROM WHERE/);
    expect(parseTsql('CREATE TABLE dbo.t (a int NOT NULL, b nvarchar(100 NOT NULL);')).not.toEqual([]);
    expect(parseTsql("IF OBJECT_ID(N'dbo.t') IS NULL CREATE TABLE dbo.t (a int NOT NULL));")).not.toEqual([]);
  });

  it('accepts lowercase keywords and accented literals', () => {
    expect(parseTsql("select n'Promoção de verão' as nome from dbo.produto where ativo = 1;")).toEqual([]);
  });

  it.each(GRAMMAR_GAPS.map((gap) => [gap.sample, gap]))('still rejects, and the scripts still use: %s', async (_sample, gap) => {
    expect(parseTsql(gap.sample)).not.toEqual([]);
    const texts = await Promise.all(FILES.map(async (file) => (await loadSqlScript(file, { dialect: 'mssql' })).text));
    expect(texts.some((text) => countOf(text, gap.pattern) > 0)).toBe(true);
  });
});

describe('SQL Server scripts can be run again by hand', () => {
  it.each(FILES.map((file) => [relative(COMMON, file), file]))('%s guards every creation', async (_name, file) => {
    const { batches } = await loadSqlScript(file, { dialect: 'mssql' });
    for (const batch of batches.map(withoutComments)) {
      expect(countOf(batch, /(?:IS NULL|\))\s+CREATE (?:TABLE|INDEX)\b/g), batch).toBe(countOf(batch, /\bCREATE (?:TABLE|INDEX)\b/g));
      expect(countOf(batch, /IF NOT EXISTS \(SELECT 1 FROM sys\.change_tracking_tables WHERE object_id = OBJECT_ID\(N'dbo\.\w+'\)\)\s+ALTER TABLE/g), batch).toBe(
        countOf(batch, /ENABLE CHANGE_TRACKING/g),
      );
      // ALTER DATABASE must not name the database, and cannot share its batch with other work.
      expect(batch).not.toMatch(/ALTER DATABASE (?!CURRENT\b)/);
      if (/ALTER DATABASE/.test(batch)) expect(batch.trim()).toMatch(/^IF NOT EXISTS \(SELECT 1 FROM sys\.(?:change_tracking_)?databases WHERE database_id = DB_ID\(\)[^;]*\)\s+ALTER DATABASE/);
    }
  });

  it('enables Change Tracking on the database before any table, with the retention from :setvar', async () => {
    const { batches } = await loadSqlScript(ENTRY_SCRIPTS[0]!, { dialect: 'mssql', variables: { CT_RETENTION_DAYS: '14' } });
    const database = batches.findIndex((b) => b.includes('SET CHANGE_TRACKING = ON'));
    const firstTable = batches.findIndex((b) => b.includes('ENABLE CHANGE_TRACKING'));
    expect(database).toBeGreaterThanOrEqual(0);
    expect(database).toBeLessThan(firstTable);
    expect(batches[database]).toContain('CHANGE_RETENTION = 14 DAYS, AUTO_CLEANUP = ON');
    expect(batches.some((b) => b.includes('ALLOW_SNAPSHOT_ISOLATION ON'))).toBe(true);
  });
});

describe('what the grammar lets through', () => {
  // The grammar accepts `a int NOT NULL b int NULL` (a missing comma between definitions), so check it here.
  it.each(FILES.map((file) => [relative(COMMON, file), file]))('%s separates column definitions with commas', async (_name, file) => {
    const { text } = await loadSqlScript(file, { dialect: 'mssql' });
    for (const [, table, body] of withoutComments(text).matchAll(/CREATE TABLE (\S+) \(([\s\S]*?)\n\);/g)) {
      for (const definition of topLevelPieces(body!)) {
        expect(definition.trim().split('\n').slice(1).join('\n'), `${table}: ${definition.trim()}`).not.toMatch(COLUMN_START);
      }
    }
  });
});

describe('the two dialects\' versioned scripts line up', () => {
  const numbered = (dialect: string, role: string) =>
    new Map(readdirSync(join(COMMON, dialect, role)).filter((f) => /^\d{4}_\w+\.sql$/.test(f)).map((f) => [f.slice(0, 4), f]));

  it.each(['central', 'pdv'])('%s: every SQL Server number is a PostgreSQL number, and the entry scripts hold no text of their own', async (role) => {
    const mssql = numbered('mssql', role);
    const postgres = numbered('postgres', role);
    for (const number of mssql.keys()) expect(postgres.has(number), `${role}/${mssql.get(number)} has no PostgreSQL twin numbered ${number}`).toBe(true);
    for (const entry of ENTRY_SCRIPTS) {
      const lines = readFileSync(entry, 'utf8').split('\n');
      const statements = lines.filter((line) => line.trim() !== '' && !/^\s*(--|:r |:on error|:setvar|GO\s*$)/i.test(line));
      expect(statements, entry).toEqual([]);
    }
  });

  it('the script history names only scripts that exist, and no name that exists is replaced', () => {
    for (const [dialect, history] of Object.entries(SCRIPT_HISTORY)) {
      const exists = (name: string) => readdirSync(join(COMMON, dialect, name.split('/')[0]!)).includes(name.split('/')[1]!);
      for (const [old, successors] of Object.entries(history.replacedNames)) {
        expect(exists(old), `${dialect}: ${old} still exists, so new databases would record it`).toBe(false);
        for (const name of successors) expect(exists(name), `${dialect}: ${name}`).toBe(true);
      }
      for (const name of Object.keys(history.earlierChecksums)) expect(exists(name), `${dialect}: ${name}`).toBe(true);
    }
  });
});
