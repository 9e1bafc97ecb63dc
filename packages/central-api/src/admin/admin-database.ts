import type { z } from 'zod';
import {
  checkDatabaseAtStart,
  ConfigError,
  databaseSettingsFromEnv,
  driverErrorFacts,
  exitOnConfigError,
  loadConfig,
  openDatabase,
  type Database,
  type DatabaseEnv,
  type DatabaseSettings,
} from '@goldpdv/core';
import { CENTRAL_SECRET_VARIABLES } from '../config.js';

export interface AdminDatabase<Config> {
  config: Config;
  db: Database;
  settings: DatabaseSettings;
}

/**
 * The configuration (the same variables and .env as the API) and the central database, for an admin command.
 * A bad value, a database that does not exist or one too old to run on exits 2 with one line, as the API does.
 * `checkAtStart: false` leaves those checks to the caller (doctor reports them as lines).
 */
export async function openAdminDatabase<Schema extends z.ZodObject>(
  program: string,
  schema: Schema,
  options: { checkAtStart: boolean },
): Promise<AdminDatabase<z.infer<Schema>>> {
  let config: z.infer<Schema>;
  let settings: DatabaseSettings;
  try {
    config = loadConfig(schema, { secretVariables: CENTRAL_SECRET_VARIABLES });
    settings = databaseSettingsFromEnv(config as unknown as DatabaseEnv);
  } catch (error) {
    if (error instanceof ConfigError) exitOnConfigError(program, error);
    throw error;
  }
  const db = await openDatabase(settings, program);
  if (options.checkAtStart) {
    try {
      await checkDatabaseAtStart(db, settings);
    } catch (error) {
      await db.close();
      if (error instanceof ConfigError) exitOnConfigError(program, error);
      throw error;
    }
  }
  return { config, db, settings };
}

/**
 * The one line for a database whose central schema is missing or older than this program, or null: the registry
 * table or a column this release added is not there (PostgreSQL 42P01 / 42703, SQL Server 208 / 207).
 */
export function schemaProblem(error: unknown, dialect: Database['dialect']): string | null {
  const facts = driverErrorFacts(error);
  const scripts = `common/${dialect}/central/`;
  if ((facts.sqlState === '42P01' || facts.number === 208) && facts.message.includes('sync_pdv_status')) {
    return `the central schema is older than this central-api (${facts.message.split('\n')[0]}): start the new central-api once, or apply the new scripts of ${scripts} (0012_pdv_status_reports.sql) by hand`;
  }
  if (facts.sqlState === '42P01' || facts.number === 208) {
    return `the central schema is not applied on this database (${facts.message.split('\n')[0]}): start central-api once with DB_SCHEMA_AUTO_APPLY=true, or apply ${scripts} by hand`;
  }
  if (facts.sqlState === '42703' || facts.number === 207) {
    return `the central schema is older than this central-api (${facts.message.split('\n')[0]}): start the new central-api once, or apply the new scripts of ${scripts} (0011_pdv_registry_times.sql) by hand`;
  }
  return null;
}
