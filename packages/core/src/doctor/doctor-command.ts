import { z } from 'zod';
import { SECRET_VARIABLES } from '../config/common-env.js';
import { databaseSettingsFromEnv } from '../config/database-settings.js';
import { exitOnConfigError, loadConfig } from '../config/load-config.js';
import { daemonEnv, type DaemonEnv } from '../daemon/daemon-env.js';
import { openDatabase } from '../db/open-database.js';
import type { DatabaseSettings } from '../db/settings.js';
import type { Database } from '../db/types.js';
import { ConfigError } from '../errors/index.js';
import type { DoctorCheck } from './doctor-check.js';
import { printDoctorReport } from './doctor-output.js';
import { runDoctor } from './run-doctor.js';
import { databaseSizeEnv } from '../status/database-size.js';
import { databaseSizeCheck } from './database-size-check.js';

export const DOCTOR_USAGE = `  doctor [--json]                    check what would break syncing on this PDV, one line per check with its fix
                                     (exit 1 when something would; 2 on a bad configuration)`;

export interface DaemonDoctorDefinition<Shape extends z.ZodRawShape> {
  program: string;
  /** The daemon's own variables: doctor reads exactly what the daemon reads, so a bad value exits 2 here too. */
  env: Shape;
  secretVariables: readonly string[];
  checks(config: DaemonEnv & z.infer<z.ZodObject<Shape>>, db: Database, settings: DatabaseSettings): DoctorCheck[];
}

/** `node dist/cli.js doctor` of a PDV daemon: its configuration, its database, its checks, one line each. */
export async function runDaemonDoctor<Shape extends z.ZodRawShape>(definition: DaemonDoctorDefinition<Shape>, argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  let config: DaemonEnv & z.infer<z.ZodObject<Shape>>;
  let settings: DatabaseSettings;
  try {
    const schema = z.object({ ...daemonEnv, ...databaseSizeEnv, ...definition.env });
    config = loadConfig(schema, { secretVariables: new Set([...SECRET_VARIABLES, ...definition.secretVariables]) }) as DaemonEnv & z.infer<z.ZodObject<Shape>>;
    settings = databaseSettingsFromEnv(config);
  } catch (error) {
    if (error instanceof ConfigError) exitOnConfigError(definition.program, error);
    throw error;
  }
  const db = await openDatabase(settings, definition.program);
  try {
    // Every PDV doctor watches the database's size limit (SQL Server Express's 10 GB, or PDV_DB_SIZE_LIMIT_MB).
    const sizeLimitMb = (config as { PDV_DB_SIZE_LIMIT_MB?: number }).PDV_DB_SIZE_LIMIT_MB;
    const report = await runDoctor([...definition.checks(config, db, settings), databaseSizeCheck(db, sizeLimitMb)]);
    return printDoctorReport(definition.program, report, json);
  } finally {
    await db.close();
  }
}
