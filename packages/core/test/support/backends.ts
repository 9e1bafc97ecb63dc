import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { describe } from 'vitest';
import { startPglite } from '../../src/db/pglite-start.js';
import { servePglite } from '../../src/db/pglite-server.js';
import { createMssqlDatabase } from '../../src/db/mssql.js';
import { createPgliteDatabase } from '../../src/db/pglite.js';
import { createPostgresDatabase } from '../../src/db/postgres.js';
import type { DatabaseSettings, MssqlSettings } from '../../src/db/settings.js';
import type { Database } from '../../src/db/types.js';
import { databaseSettingsFromEnv } from '../../src/config/database-settings.js';
import { databaseEnv } from '../../src/config/common-env.js';
import { parseEnv } from '../../src/config/parse-env.js';
import { z } from 'zod';

/**
 * The databases one suite runs against: PGlite always, a PostgreSQL server with TEST_PG_URL, SQL Server with
 * TEST_MSSQL_URL or a reachable Docker engine (testcontainers). Each test database is new and dropped after.
 */
export type BackendName = 'pglite' | 'postgres' | 'mssql';

export interface TestDatabase {
  db: Database;
  settings: DatabaseSettings;
  /** A URL a child process can use (DB_URL), or null for in-memory PGlite. */
  url: string | null;
  dispose(): Promise<void>;
}

export interface CreateOptions {
  /**
   * The database must be reachable by other processes (a daemon started as a child process). PGlite is then
   * served over the PostgreSQL wire protocol by pglite-socket; every connection, the test's own included,
   * goes through that server, because PGlite runs one transaction at a time.
   */
  shared?: boolean;
}

export interface Backend {
  name: BackendName;
  skipReason: string | null;
  create(options?: CreateOptions): Promise<TestDatabase>;
}

const uniqueName = () => `gp_t_${randomBytes(5).toString('hex')}`;
const POOL = { poolMax: 5, connectTimeoutMs: 10_000, requestTimeoutMs: 60_000 };

const pgliteBackend: Backend = {
  name: 'pglite',
  skipReason: null,
  async create(options = {}) {
    if (!options.shared) {
      const settings: DatabaseSettings = { kind: 'pglite', dataDir: null };
      const db = await createPgliteDatabase(settings);
      return { db, settings, url: null, dispose: () => db.close() };
    }
    const pglite = await startPglite(null);
    const server = await servePglite(pglite);
    const url = server.url;
    const settings: DatabaseSettings = { kind: 'postgres', connectionString: url, ...POOL };
    const db = createPostgresDatabase(settings, 'goldpdv-test');
    return {
      db,
      settings,
      url,
      async dispose() {
        await db.close();
        await server.stop();
        await pglite.close();
      },
    };
  },
};

const postgresUrl = process.env.TEST_PG_URL;
const postgresBackend: Backend = {
  name: 'postgres',
  skipReason: postgresUrl ? null : 'TEST_PG_URL is not set',
  async create() {
    const name = uniqueName();
    await withPgAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
    const url = new URL(postgresUrl!);
    url.pathname = `/${name}`;
    const settings: DatabaseSettings = { kind: 'postgres', connectionString: url.toString(), ...POOL };
    const db = createPostgresDatabase(settings, 'goldpdv-test');
    return {
      db,
      settings,
      url: url.toString(),
      async dispose() {
        await db.close();
        await withPgAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      },
    };
  },
};

async function withPgAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const mssqlUrl = process.env.TEST_MSSQL_URL;
const dockerReachable = Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
let containerUrl: Promise<string> | undefined;

/** One SQL Server container per test process; testcontainers' reaper removes it when the process ends. */
async function mssqlServerUrl(): Promise<string> {
  if (mssqlUrl) return mssqlUrl;
  containerUrl ??= (async () => {
    const { MSSQLServerContainer } = await import('@testcontainers/mssqlserver');
    const container = await new MSSQLServerContainer('mcr.microsoft.com/mssql/server:2022-latest').acceptLicense().start();
    const user = encodeURIComponent(container.getUsername());
    const password = encodeURIComponent(container.getPassword());
    return `mssql://${user}:${password}@${container.getHost()}:${container.getPort()}/master?encrypt=false`;
  })();
  return containerUrl;
}

function mssqlSettingsFor(url: string, database?: string): MssqlSettings {
  const env = parseEnv(z.object(databaseEnv), { DB_URL: url });
  const settings = databaseSettingsFromEnv(env) as MssqlSettings;
  return { ...settings, ...POOL, database: database ?? settings.database };
}

const mssqlBackend: Backend = {
  name: 'mssql',
  skipReason: mssqlUrl || dockerReachable ? null : 'TEST_MSSQL_URL is not set and no Docker engine is reachable',
  async create() {
    const serverUrl = await mssqlServerUrl();
    const name = uniqueName();
    const admin = createMssqlDatabase(mssqlSettingsFor(serverUrl, 'master'), 'goldpdv-test');
    await admin.query(`CREATE DATABASE ${name}`);
    const settings = mssqlSettingsFor(serverUrl, name);
    const db = createMssqlDatabase(settings, 'goldpdv-test');
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return {
      db,
      settings,
      url: url.toString(),
      async dispose() {
        await db.close();
        await admin.executeScript(`ALTER DATABASE ${name} SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE ${name};`);
        await admin.close();
      },
    };
  },
};

export const BACKENDS: readonly Backend[] = [pgliteBackend, postgresBackend, mssqlBackend];

/**
 * Declares `body` once per backend. A missing backend shows up in the report as a skipped suite whose title
 * carries the reason, so a green run never hides that SQL Server (say) was not exercised.
 */
export function describeBackends(title: string, body: (backend: Backend) => void, only?: readonly BackendName[]): void {
  for (const backend of BACKENDS) {
    if (only && !only.includes(backend.name)) continue;
    const skipReason = backend.skipReason ?? (selectedBackends !== null && !selectedBackends.includes(backend.name) ? `TEST_BACKENDS=${selectedBackends.join(',')}` : null);
    const label = skipReason ? `${title} [${backend.name}] (skipped: ${skipReason})` : `${title} [${backend.name}]`;
    describe.skipIf(skipReason !== null)(label, () => body(backend));
  }
}

/** TEST_BACKENDS=mssql (say) runs only those backends' suites: `pnpm test:mssql` sets it. */
const selectedBackends: readonly BackendName[] | null = process.env.TEST_BACKENDS ? (process.env.TEST_BACKENDS.split(',').map((name) => name.trim()) as BackendName[]) : null;
