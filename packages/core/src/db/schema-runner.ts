import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ConfigError, TransientError } from '../errors/index.js';
import { loadSqlScript, type SqlScript } from './sql-script.js';
import { SCHEMA_SQL } from './schema-sql.js';
import { carryHistoryForward, SCRIPT_HISTORY, type ScriptHistory } from './script-history.js';
import type { Database } from './types.js';

export type SchemaRole = 'central' | 'pdv';

export interface SchemaRunOptions {
  role: SchemaRole;
  /** The folder holding mssql/ and postgres/; found next to the installed package when omitted. */
  commonDir?: string;
  /** sqlcmd-style variables for SQL Server scripts, e.g. { CT_RETENTION_DAYS: '14' }. */
  variables?: Record<string, string>;
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** What earlier releases recorded; the dialect's SCRIPT_HISTORY when omitted (tests give their own). */
  history?: ScriptHistory;
  /**
   * Bound of one schema batch, and of the wait for the schema lock (DB_SCHEMA_TIMEOUT_MS). An index build or a
   * new column on a large table takes minutes, far beyond an ordinary request's timeout. Default 30 minutes.
   */
  timeoutMs?: number;
  /** Called every few seconds while the run goes on, so that a caller's stall watchdog sees progress. */
  onProgress?: () => void;
}

export interface SchemaRunResult {
  applied: string[];
  alreadyApplied: number;
}

const SCRIPT_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;
const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const LOCK_RETRY_MS = 250;
const PROGRESS_EVERY_MS = 1_000;
const STILL_RUNNING_LOG_EVERY_MS = 30_000;

/**
 * Applies `common/<dialect>/<role>/NNNN_*.sql` in order, once each, recording them in sync_schema_version. A
 * second run changes nothing. The whole run holds one schema lock, taken for the session on a connection of its
 * own with the schema timeout: two processes starting together (both daemons of a PDV, two central replicas)
 * apply each script once, one after the other. Each script and its record commit together, except the SQL
 * Server scripts that ALTER DATABASE, which SQL Server refuses inside a transaction; those are written to be
 * re-runnable (guarded by IF NOT EXISTS) and run under the same session lock.
 */
export async function applySchema(db: Database, options: SchemaRunOptions): Promise<SchemaRunResult> {
  const folder = join(options.commonDir ?? findCommonDir(), db.dialect, options.role);
  const files = await listScripts(folder);
  const scripts = await Promise.all(
    files.map(async (file) => ({ name: `${options.role}/${file}`, script: await loadSqlScript(join(folder, file), { dialect: db.dialect, variables: options.variables }) })),
  );
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const progress = options.onProgress ? setInterval(options.onProgress, PROGRESS_EVERY_MS) : undefined;
  progress?.unref();
  const session = await db.dedicated({ requestTimeoutMs: timeoutMs });
  try {
    await takeSchemaLock(session, timeoutMs);
    try {
      return await applyUnderLock(session, scripts, options);
    } finally {
      await session.query(SCHEMA_SQL[session.dialect].unlock).catch(() => {
        // Closing the dedicated connection below releases a session lock all the same.
      });
    }
  } finally {
    clearInterval(progress);
    await session.close();
  }
}

async function applyUnderLock(session: Database, scripts: { name: string; script: SqlScript }[], options: SchemaRunOptions): Promise<SchemaRunResult> {
  const statements = SCHEMA_SQL[session.dialect];
  await session.query(statements.createVersionTable);
  const applied = new Map((await session.query<{ script_name: string; checksum: string }>(statements.listApplied)).rows.map((r) => [r.script_name, r.checksum]));
  await carryHistoryForward(session, options.history ?? SCRIPT_HISTORY[session.dialect], applied, new Map(scripts.map(({ name, script }) => [name, script.checksum])), options.logger);

  const result: SchemaRunResult = { applied: [], alreadyApplied: 0 };
  for (const { name, script } of scripts) {
    const known = applied.get(name);
    if (known !== undefined) {
      result.alreadyApplied += 1;
      if (known !== script.checksum) options.logger?.warn({ script: name }, 'schema script changed after it was applied; it is not applied again');
      continue;
    }
    if (await applyOne(session, name, script, options.logger)) result.applied.push(name);
    else result.alreadyApplied += 1;
  }
  return result;
}

/**
 * Returns false when the script turned out to be recorded already. The session lock keeps other processes out
 * on a database server; on embedded PGlite every connection shares one session, so two runners can both hold
 * the lock, and the check inside the script's transaction (PGlite runs one at a time) is what keeps it once.
 */
async function applyOne(session: Database, name: string, script: SqlScript, logger: SchemaRunOptions['logger']): Promise<boolean> {
  const statements = SCHEMA_SQL[session.dialect];
  const started = Date.now();
  logger?.info({ script: name, batches: script.batches.length }, 'applying schema script');
  const stillRunning = setInterval(() => logger?.info({ script: name, elapsedMs: Date.now() - started }, 'schema script still running'), STILL_RUNNING_LOG_EVERY_MS);
  stillRunning.unref();
  try {
    // Comments are left out: a script that only mentions ALTER DATABASE keeps its transaction.
    const needsNoTransaction = session.dialect === 'mssql' && script.batches.some((batch) => /\bALTER\s+DATABASE\b/i.test(withoutSqlComments(batch)));
    if (needsNoTransaction) {
      for (const batch of script.batches) await session.executeScript(batch);
      await session.query(statements.recordApplied, [name, script.checksum]);
    } else {
      const ran = await session.transaction(async (tx) => {
        if ((await tx.query(statements.isApplied, [name])).rows.length > 0) return false;
        for (const batch of script.batches) await tx.executeScript(batch);
        await tx.query(statements.recordApplied, [name, script.checksum]);
        return true;
      });
      if (!ran) return false;
    }
  } finally {
    clearInterval(stillRunning);
  }
  logger?.info({ script: name, ms: Date.now() - started }, 'schema script applied');
  return true;
}

/** Tries the session lock until the deadline; another process holding it is applying the same scripts. */
async function takeSchemaLock(session: Database, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await session.query<{ granted: number | boolean; result?: number }>(SCHEMA_SQL[session.dialect].lock);
    if (Number(rows[0]?.granted) === 1) return;
    // sp_getapplock's -999: a parameter or other error, which waiting cannot fix.
    if (rows[0]?.result === -999) throw new TransientError('sp_getapplock answered -999 (a parameter or internal error) for the schema lock', { context: { result: -999 } });
    if (Date.now() >= deadline) {
      throw new TransientError(`the schema lock was not granted within ${timeoutMs} ms: another process is applying the schema scripts (sp_getapplock/advisory lock result ${rows[0]?.result ?? 'not granted'})`, {
        context: { result: rows[0]?.result ?? null },
      });
    }
    await sleep(LOCK_RETRY_MS);
  }
}

function withoutSqlComments(sql: string): string {
  return sql.replace(/\/\*[\s\S]*?\*\//g, '').replace(/--.*$/gm, '');
}

async function listScripts(folder: string): Promise<string[]> {
  if (!existsSync(folder)) throw new ConfigError('DB_SCHEMA_DIR', `DB_SCHEMA_DIR: expected a folder with schema scripts; found no ${folder}`);
  return (await readdir(folder)).filter((file) => SCRIPT_FILE.test(file)).sort();
}

/** Walks up from this module to the first folder holding common/mssql: the repo root or the image's /app. */
export function findCommonDir(start = dirname(fileURLToPath(import.meta.url))): string {
  const fromEnv = process.env.DB_SCHEMA_DIR;
  if (fromEnv) return resolve(fromEnv);
  let current = start;
  for (;;) {
    const candidate = join(current, 'common');
    if (existsSync(join(candidate, 'mssql')) && existsSync(join(candidate, 'postgres'))) return candidate;
    const parent = dirname(current);
    if (parent === current) throw new ConfigError('DB_SCHEMA_DIR', 'DB_SCHEMA_DIR: expected the folder of the SQL scripts (common/); found none above the installed package');
    current = parent;
  }
}
