import { ConfigError } from '../errors/index.js';
import { createPostgresDatabase } from './postgres.js';
import type { DatabaseSettings } from './settings.js';
import type { Database } from './types.js';

/** Opens the database the settings describe. Server pools connect lazily, on the first statement. */
export async function openDatabase(settings: DatabaseSettings, applicationName?: string): Promise<Database> {
  switch (settings.kind) {
    case 'mssql':
      // Loaded only here: the mssql driver (tedious) adds about 30 MB to a process that talks PostgreSQL.
      return (await import('./mssql.js')).createMssqlDatabase(settings, applicationName);
    case 'postgres':
      return createPostgresDatabase(settings, applicationName);
    case 'pglite':
      return (await loadPglite()).createPgliteDatabase(settings);
  }
}

/** PGlite is a development dependency: an installation without it says so instead of failing on an import. */
async function loadPglite(): Promise<typeof import('./pglite.js')> {
  try {
    return await import('./pglite.js');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw cause;
    throw new ConfigError('DB_URL', 'DB_URL: expected mssql:// or postgres://; pglite:// (embedded PostgreSQL) is for development and the demo, and this installation does not include it', { cause });
  }
}
