import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applySchema } from '../src/db/schema-runner.js';
import { databaseSizeCheck } from '../src/doctor/database-size-check.js';
import { DATABASE_SIZE_SQL, EXPRESS_DATA_LIMIT_MB, readDatabaseSize, type SyncStatus } from '../src/status/index.js';
import { describeBackends, type TestDatabase } from './support/backends.js';
import { REPO_ROOT } from './support/spawn-daemon.js';
import { expectValidTsql } from './support/tsql-grammar.js';

function runStatus(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'push-service/dist/cli.js'), 'status', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the database size statement of SQL Server', () => {
  it('parses under the T-SQL grammar, reads the edition and the data files only (type 0, 8-KB pages)', () => {
    expectValidTsql(DATABASE_SIZE_SQL.mssql);
    expect(DATABASE_SIZE_SQL.mssql).toContain("SERVERPROPERTY('EngineEdition')");
    expect(DATABASE_SIZE_SQL.mssql).toMatch(/SUM\(CAST\(size AS bigint\)\) \* 8 AS bigint\) AS data_kb\s+FROM sys\.database_files WHERE type = 0/);
    expect(EXPRESS_DATA_LIMIT_MB).toBe(10_240);
  });
});

describeBackends('the PDV database size against its limit', (backend) => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of databases.splice(0)) await db.dispose();
  });

  it('PostgreSQL has no limit unless PDV_DB_SIZE_LIMIT_MB sets one; at 80 % of it, doctor warns', async () => {
    const pdv = await backend.create();
    databases.push(pdv);
    await applySchema(pdv.db, { role: 'pdv' });
    const free = await readDatabaseSize(pdv.db);
    expect(free.dataMb).toBeGreaterThan(1);
    expect(free).toMatchObject({ limitMb: null, limitSource: null, usedFraction: null, nearLimit: false });
    expect(await databaseSizeCheck(pdv.db, undefined).run()).toMatchObject({ status: 'pass', detail: expect.stringMatching(/no size limit known/) });

    // A limit just above the data (used above 80 %) and one far above it.
    const tight = Math.ceil(free.dataMb / 0.85);
    const near = await readDatabaseSize(pdv.db, tight);
    expect(near).toMatchObject({ limitMb: tight, limitSource: 'PDV_DB_SIZE_LIMIT_MB', nearLimit: true });
    expect(await databaseSizeCheck(pdv.db, tight).run()).toMatchObject({ status: 'warn', detail: expect.stringMatching(/% used: at or above 80 % of the limit/), fix: expect.stringMatching(/PUSH_RETENTION_HOURS/) });
    expect(await databaseSizeCheck(pdv.db, Math.ceil(free.dataMb * 2)).run()).toMatchObject({ status: 'pass' });
  });

  it('status shows the size, and a WARNING line near the limit', async () => {
    const pdv = await backend.create({ shared: true });
    databases.push(pdv);
    await applySchema(pdv.db, { role: 'pdv' });
    const gone = 'http://127.0.0.1:9/health/ready';
    const env = { DB_URL: pdv.url!, PULL_HEALTH_URL: gone, PUSH_HEALTH_URL: gone };
    const json = await runStatus(['--json'], { ...env, PDV_DB_SIZE_LIMIT_MB: '1' });
    expect(json.code, json.stderr).toBe(0);
    const status = JSON.parse(json.stdout) as SyncStatus;
    expect(status.databaseSize).toMatchObject({ limitMb: 1, limitSource: 'PDV_DB_SIZE_LIMIT_MB', nearLimit: true });
    const human = await runStatus([], { ...env, PDV_DB_SIZE_LIMIT_MB: '1' });
    expect(human.stdout).toMatch(/^DATABASE SIZE\n {2}!! WARNING [\d.]+ MB of data of 1 MB \(PDV_DB_SIZE_LIMIT_MB\), \d+ % used: near the limit; lower PUSH_RETENTION_HOURS/m);
    const roomy = await runStatus([], { ...env, PDV_DB_SIZE_LIMIT_MB: '1000000' });
    expect(roomy.stdout).toMatch(/^DATABASE SIZE\n {2}[\d.]+ MB of data of 1000000 MB \(PDV_DB_SIZE_LIMIT_MB\), 0 % used$/m);
    const bad = await runStatus([], { ...env, PDV_DB_SIZE_LIMIT_MB: 'ten' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/PDV_DB_SIZE_LIMIT_MB/);
  });
}, ['pglite', 'postgres']);
