import { createMssqlDatabase } from './mssql.js';
import { createPgliteDatabase } from './pglite.js';
import { createPostgresDatabase } from './postgres.js';
import type { DatabaseSettings } from './settings.js';
import type { Database } from './types.js';

/** Opens the database the settings describe. Server pools connect lazily, on the first statement. */
export async function openDatabase(settings: DatabaseSettings, applicationName?: string): Promise<Database> {
  switch (settings.kind) {
    case 'mssql':
      return createMssqlDatabase(settings, applicationName);
    case 'postgres':
      return createPostgresDatabase(settings, applicationName);
    case 'pglite':
      return createPgliteDatabase(settings);
  }
}
