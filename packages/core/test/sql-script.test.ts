import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSqlScript } from '../src/db/sql-script.js';
import { ConfigError } from '../src/errors/index.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gp-sql-script-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(relative: string, content: string): Promise<string> {
  const path = join(dir, relative);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content, 'utf8');
  return path;
}

const mssql = { dialect: 'mssql' as const };
const postgres = { dialect: 'postgres' as const };

async function configErrorOf(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('GO batch separators (SQL Server)', () => {
  it('splits on lines that hold only GO, in any case, with spaces or a trailing comment', async () => {
    const file = await write('a.sql', 'SELECT 1;\nGO\nSELECT 2;\n  go  \nSELECT 3;\nGo -- done\nSELECT 4;\n');
    const script = await loadSqlScript(file, mssql);
    expect(script.batches).toEqual(['SELECT 1;', 'SELECT 2;', 'SELECT 3;', 'SELECT 4;']);
  });

  it('does not split on GO that shares its line with anything else', async () => {
    const sql = ["SELECT 'GO' AS x;", '-- GO', "PRINT N'let us go';", 'SELECT 1 GO', '/* GO */', 'GOTO done;', 'GO2'].join('\n');
    const script = await loadSqlScript(await write('a.sql', sql), mssql);
    expect(script.batches).toEqual([sql]);
  });

  it('drops empty batches and accepts CRLF line endings', async () => {
    const file = await write('a.sql', '\r\nGO\r\nSELECT 1;\r\nGO\r\nGO\r\n\r\n');
    const script = await loadSqlScript(file, mssql);
    expect(script.batches).toEqual(['SELECT 1;']);
    expect(script.text).not.toContain('\r');
  });
});

describe('sqlcmd variables', () => {
  it('substitutes $(NAME) from :setvar and removes the directive line', async () => {
    const file = await write('a.sql', ':setvar DAYS 7\n:setvar Label "two words"\nSELECT $(DAYS), N\'$(label)\';\n');
    const script = await loadSqlScript(file, mssql);
    expect(script.text).toBe("SELECT 7, N'two words';");
    expect(script.batches).toEqual(["SELECT 7, N'two words';"]);
  });

  it('lets options.variables override a :setvar default', async () => {
    const file = await write('a.sql', ':setvar DAYS 7\nSELECT $(DAYS);\n');
    const script = await loadSqlScript(file, { ...mssql, variables: { DAYS: '30' } });
    expect(script.batches).toEqual(['SELECT 30;']);
  });

  it('uses options.variables that the script never declares', async () => {
    const file = await write('a.sql', 'USE $(DB);\n');
    expect((await loadSqlScript(file, { ...mssql, variables: { DB: 'central' } })).text).toBe('USE central;');
  });

  it('fails on an unknown variable, naming it and the file', async () => {
    const file = await write('a.sql', 'SELECT 1;\nSELECT $(MISSING_VAR);\n');
    const error = await configErrorOf(loadSqlScript(file, mssql));
    expect(error.variable).toBe('MISSING_VAR');
    expect(error.message).toContain('$(MISSING_VAR)');
    expect(error.message).toContain(`${file}:2`);
  });

  it('keeps :on error exit out of the output and rejects other sqlcmd commands', async () => {
    const ok = await write('ok.sql', ':on error exit\nSELECT 1;\n');
    expect((await loadSqlScript(ok, mssql)).text).toBe('SELECT 1;');
    const bad = await write('bad.sql', ':connect otherserver\nSELECT 1;\n');
    expect((await configErrorOf(loadSqlScript(bad, mssql))).message).toContain(':connect');
  });

  it('leaves $( alone in PostgreSQL scripts', async () => {
    const file = await write('a.sql', "SELECT '$(NOT_A_VARIABLE)';\n");
    expect((await loadSqlScript(file, postgres)).text).toBe("SELECT '$(NOT_A_VARIABLE)';");
  });
});

describe(':r includes (SQL Server)', () => {
  it('inlines files relative to the including file, recursively, and their GO and :setvar', async () => {
    await write('shared/inner.sql', ':setvar TABLE_NAME produto\nSELECT 2 FROM $(TABLE_NAME);\nGO\n');
    await write('shared/middle.sql', 'SELECT 1;\n:r inner.sql\nSELECT 3;\n');
    const top = await write('versions/0001_top.sql', ':r ../shared/middle.sql\nSELECT 4 FROM $(TABLE_NAME);\n');
    const script = await loadSqlScript(top, mssql);
    expect(script.batches).toEqual(['SELECT 1;\nSELECT 2 FROM produto;', 'SELECT 3;\nSELECT 4 FROM produto;']);
    expect(script.text).not.toContain(':r');
  });

  it('accepts a quoted path and a variable in the path', async () => {
    await write('sub dir/x.sql', 'SELECT 1;\n');
    const top = await write('top.sql', ':setvar DIR "sub dir"\n:r "$(DIR)/x.sql"\n');
    expect((await loadSqlScript(top, mssql)).text).toBe('SELECT 1;');
  });

  it('allows the same file twice when it is not a cycle', async () => {
    await write('x.sql', 'SELECT 1;\n');
    const top = await write('top.sql', ':r x.sql\nGO\n:r x.sql\n');
    expect((await loadSqlScript(top, mssql)).batches).toEqual(['SELECT 1;', 'SELECT 1;']);
  });

  it('detects a cycle and shows the chain', async () => {
    await write('a.sql', ':r b.sql\n');
    await write('b.sql', 'SELECT 1;\n:r a.sql\n');
    const error = await configErrorOf(loadSqlScript(join(dir, 'a.sql'), mssql));
    expect(error.message).toMatch(/cycle/i);
    expect(error.message).toContain(`${join(dir, 'a.sql')} -> ${join(dir, 'b.sql')} -> ${join(dir, 'a.sql')}`);
  });

  it('fails on a missing include, naming both files', async () => {
    const top = await write('top.sql', 'SELECT 1;\n:r nowhere.sql\n');
    const error = await configErrorOf(loadSqlScript(top, mssql));
    expect(error.variable).toBe(join(dir, 'nowhere.sql'));
    expect(error.message).toContain(`${top}:2`);
  });

  it('fails on a missing top-level script', async () => {
    await configErrorOf(loadSqlScript(join(dir, 'absent.sql'), mssql));
  });
});

describe('\\ir includes (PostgreSQL)', () => {
  it('inlines files relative to the including file and keeps one batch', async () => {
    await write('central/0001_catalog.sql', 'CREATE TABLE a (id int);\nGO\n');
    await write('pdv/inner/extra.sql', 'CREATE TABLE c (id int);\n');
    const top = await write('pdv/0001_replica.sql', '\\ir ../central/0001_catalog.sql\n\\ir inner/extra.sql\nCREATE TABLE b (id int);\n');
    const script = await loadSqlScript(top, postgres);
    // GO means nothing to PostgreSQL; it stays in the text (and would fail there), it does not split.
    expect(script.batches).toEqual(['CREATE TABLE a (id int);\nGO\nCREATE TABLE c (id int);\nCREATE TABLE b (id int);']);
  });

  it('detects a cycle and a missing include', async () => {
    await write('a.sql', '\\ir b.sql\n');
    await write('b.sql', '\\ir a.sql\n');
    expect((await configErrorOf(loadSqlScript(join(dir, 'a.sql'), postgres))).message).toMatch(/cycle/i);
    const top = await write('top.sql', '\\ir missing.sql\n');
    expect((await configErrorOf(loadSqlScript(top, postgres))).variable).toBe(join(dir, 'missing.sql'));
  });
});

describe('checksum', () => {
  it('is the sha256 hex of the expanded text with its variables as written: it follows includes, not values', async () => {
    await write('inner.sql', 'SELECT $(N);\n');
    const top = await write('top.sql', ':setvar N 1\n:r inner.sql\n');
    const first = await loadSqlScript(top, mssql);
    expect(first.text).toBe('SELECT 1;');
    expect(first.checksum).toBe(createHash('sha256').update('SELECT $(N);').digest('hex'));
    // A value is a setting the process applies itself (CT_RETENTION_DAYS), not a change of the script.
    const overridden = await loadSqlScript(top, { ...mssql, variables: { N: '2' } });
    expect(overridden.text).toBe('SELECT 2;');
    expect(overridden.checksum).toBe(first.checksum);
    await write('inner.sql', 'SELECT $(N) ;\n');
    expect((await loadSqlScript(top, mssql)).checksum).not.toBe(first.checksum);
  });

  it('ignores a BOM and CRLF line endings', async () => {
    const lf = await write('lf.sql', 'SELECT 1;\nSELECT 2;\n');
    const crlf = await write('crlf.sql', '\uFEFFSELECT 1;\r\nSELECT 2;\r\n');
    expect((await loadSqlScript(crlf, mssql)).checksum).toBe((await loadSqlScript(lf, mssql)).checksum);
  });
});
