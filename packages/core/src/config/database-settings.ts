import type { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import type { DatabaseSettings, PoolSettings } from '../db/settings.js';
import type { databaseEnv } from './common-env.js';

export type DatabaseEnv = z.infer<z.ZodObject<typeof databaseEnv>>;

/**
 * Turns DB_* variables into connection settings. DB_URL wins; without it the discrete variables describe a
 * server of DB_DIALECT. URLs: mssql:// (or sqlserver://), postgres:// (or postgresql://), pglite://memory or
 * pglite:///absolute/dir or pglite://./relative/dir.
 */
export function databaseSettingsFromEnv(env: DatabaseEnv): DatabaseSettings {
  const pool: PoolSettings = {
    poolMax: env.DB_POOL_MAX,
    connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
    requestTimeoutMs: env.DB_REQUEST_TIMEOUT_MS,
  };
  if (env.DB_URL) return settingsFromUrl(env.DB_URL, env, pool);
  if (!env.DB_HOST) {
    throw new ConfigError('DB_URL', 'DB_URL: expected a database URL (or DB_HOST and friends); found nothing (neither is set)');
  }
  const common = { port: env.DB_PORT, user: env.DB_USER, password: env.DB_PASSWORD, database: env.DB_NAME };
  if (env.DB_DIALECT === 'postgres') return { kind: 'postgres', host: env.DB_HOST, ...common, ...pool };
  return {
    kind: 'mssql',
    server: env.DB_HOST,
    instanceName: env.DB_INSTANCE,
    encrypt: env.DB_ENCRYPT,
    trustServerCertificate: env.DB_TRUST_SERVER_CERTIFICATE,
    ...common,
    ...pool,
  };
}

function settingsFromUrl(raw: string, env: DatabaseEnv, pool: PoolSettings): DatabaseSettings {
  if (raw.startsWith('pglite://')) {
    const location = raw.slice('pglite://'.length);
    return { kind: 'pglite', dataDir: location === '' || location === 'memory' ? null : location };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new ConfigError('DB_URL', 'DB_URL: expected a URL such as mssql://user:pass@host:1433/db; found a value that is not a URL', { cause });
  }
  const protocol = url.protocol.replace(/:$/, '');
  if (protocol === 'postgres' || protocol === 'postgresql') return { kind: 'postgres', connectionString: raw, ...pool };
  if (protocol !== 'mssql' && protocol !== 'sqlserver') {
    throw new ConfigError('DB_URL', `DB_URL: expected a mssql://, postgres:// or pglite:// URL; found the scheme "${protocol}"`);
  }
  const flag = (name: string, fallback: boolean) => {
    const value = url.searchParams.get(name);
    return value === null ? fallback : ['true', '1', 'yes'].includes(value.toLowerCase());
  };
  return {
    kind: 'mssql',
    server: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    instanceName: url.searchParams.get('instanceName') ?? env.DB_INSTANCE,
    user: url.username ? decodeURIComponent(url.username) : env.DB_USER,
    password: url.password ? decodeURIComponent(url.password) : env.DB_PASSWORD,
    database: url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : env.DB_NAME,
    encrypt: flag('encrypt', env.DB_ENCRYPT),
    trustServerCertificate: flag('trustServerCertificate', env.DB_TRUST_SERVER_CERTIFICATE),
    ...pool,
  };
}
