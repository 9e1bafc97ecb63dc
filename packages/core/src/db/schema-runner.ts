import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors/index.js';
import { loadSqlScript } from './sql-script.js';
import { SCHEMA_SQL } from './schema-sql.js';
import type { Database } from './types.js';

export type SchemaRole = 'central' | 'pdv';

export interface SchemaRunOptions {
  role: SchemaRole;
  /** The folder holding sqlserver/ and postgres/; found next to the installed package when omitted. */
  commonDir?: string;
  /** sqlcmd-style variables for SQL Server scripts, e.g. { CT_RETENTION_DAYS: '14' }. */
  variables?: Record<string, string>;
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface SchemaRunResult {
  applied: string[];
  alreadyApplied: number;
}

const SCRIPT_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;

/**
 * Applies `common/<dialect>/<role>/NNNN_*.sql` in order, once each, recording them in sync_schema_version.
 * A second run changes nothing. On PostgreSQL each script and its record commit together under an advisory
 * lock. On SQL Server, too, except scripts that ALTER DATABASE, which SQL Server refuses inside a transaction;
 * those scripts are written to be re-runnable (guarded by IF NOT EXISTS) for exactly that reason.
 */
export async function applySchema(db: Database, options: SchemaRunOptions): Promise<SchemaRunResult> {
  const dialect = db.dialect;
  const statements = SCHEMA_SQL[dialect];
  const folder = join(options.commonDir ?? findCommonDir(), dialect === 'mssql' ? 'sqlserver' : 'postgres', options.role);
  const files = await listScripts(folder);
  // Under the lock too: two processes racing on CREATE TABLE IF NOT EXISTS can both try to create it.
  await db.transaction(async (tx) => {
    if (statements.lock) await tx.query(statements.lock);
    await tx.query(statements.createVersionTable);
  });
  const applied = new Map((await db.query<{ script_name: string; checksum: string }>(statements.listApplied)).rows.map((r) => [r.script_name, r.checksum]));

  const result: SchemaRunResult = { applied: [], alreadyApplied: 0 };
  for (const file of files) {
    const name = `${options.role}/${file}`;
    const script = await loadSqlScript(join(folder, file), { dialect, variables: options.variables });
    const known = applied.get(name);
    if (known !== undefined) {
      result.alreadyApplied += 1;
      if (known !== script.checksum) options.logger?.warn({ script: name }, 'schema script changed after it was applied; it is not applied again');
      continue;
    }
    const ranNow = await applyOne(db, name, script.batches, script.checksum);
    if (ranNow) {
      result.applied.push(name);
      options.logger?.info({ script: name }, 'schema script applied');
    } else {
      result.alreadyApplied += 1;
    }
  }
  return result;
}

/** Returns false when another process applied the script while this one waited for the lock. */
async function applyOne(db: Database, name: string, batches: string[], checksum: string): Promise<boolean> {
  const statements = SCHEMA_SQL[db.dialect];
  const needsNoTransaction = db.dialect === 'mssql' && batches.some((batch) => /\bALTER\s+DATABASE\b/i.test(batch));
  if (needsNoTransaction) {
    for (const batch of batches) await db.executeScript(batch);
    await db.query(statements.recordApplied, [name, checksum]);
    return true;
  }
  return db.transaction(async (tx) => {
    if (statements.lock) await tx.query(statements.lock);
    const already = await tx.query(`${statements.listApplied} WHERE script_name = ${db.dialect === 'mssql' ? '@p1' : '$1'}`, [name]);
    if (already.rows.length > 0) return false;
    for (const batch of batches) await tx.executeScript(batch);
    await tx.query(statements.recordApplied, [name, checksum]);
    return true;
  });
}

async function listScripts(folder: string): Promise<string[]> {
  if (!existsSync(folder)) throw new ConfigError('DB_SCHEMA_DIR', `DB_SCHEMA_DIR: expected a folder with schema scripts; found no ${folder}`);
  return (await readdir(folder)).filter((file) => SCRIPT_FILE.test(file)).sort();
}

/** Walks up from this module to the first folder holding common/sqlserver: the repo root or the image's /app. */
export function findCommonDir(start = dirname(fileURLToPath(import.meta.url))): string {
  const fromEnv = process.env.DB_SCHEMA_DIR;
  if (fromEnv) return resolve(fromEnv);
  let current = start;
  for (;;) {
    const candidate = join(current, 'common');
    if (existsSync(join(candidate, 'sqlserver')) && existsSync(join(candidate, 'postgres'))) return candidate;
    const parent = dirname(current);
    if (parent === current) throw new ConfigError('DB_SCHEMA_DIR', 'DB_SCHEMA_DIR: expected the folder of the SQL scripts (common/); found none above the installed package');
    current = parent;
  }
}
