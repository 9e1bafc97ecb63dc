import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseEnv } from '../src/config/parse-env.js';
import { databaseEnv, logEnv, pdvIdentityEnv, SECRET_VARIABLES } from '../src/config/common-env.js';
import { databaseSettingsFromEnv } from '../src/config/database-settings.js';
import { ConfigError } from '../src/errors/index.js';

const schema = z.object({ ...databaseEnv, ...logEnv, ...pdvIdentityEnv });

function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    parseEnv(schema, env, SECRET_VARIABLES);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('environment validation', () => {
  it('applies the documented defaults', () => {
    const config = parseEnv(schema, { PDV_ID: 'loja01-pdv01' });
    expect(config).toMatchObject({ DB_DIALECT: 'mssql', DB_ENCRYPT: true, DB_TRUST_SERVER_CERTIFICATE: false, DB_POOL_MAX: 5, LOG_LEVEL: 'info', LOG_FILE_COUNT: 10, LOG_FILE_MAX_SIZE: '10m' });
  });

  it('names a missing variable, what was expected and that nothing was found', () => {
    const error = configErrorOf({});
    expect(error.variable).toBe('PDV_ID');
    expect(error.message).toBe('PDV_ID: expected the PDV id, e.g. loja01-pdv03; found nothing (the variable is not set)');
  });

  it('names a bad number with the value found', () => {
    const error = configErrorOf({ PDV_ID: 'p1', DB_POOL_MAX: 'lots' });
    expect(error.message).toBe('DB_POOL_MAX: expected an integer between 1 and 100; found "lots"');
  });

  it('names an out-of-range number', () => {
    expect(configErrorOf({ PDV_ID: 'p1', DB_POOL_MAX: '500' }).message).toBe('DB_POOL_MAX: expected an integer <= 100; found "500"');
  });

  it('names a bad enum and lists the choices', () => {
    expect(configErrorOf({ PDV_ID: 'p1', LOG_LEVEL: 'loud' }).message).toBe('LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace; found "loud"');
  });

  it('names a bad boolean', () => {
    expect(configErrorOf({ PDV_ID: 'p1', DB_ENCRYPT: 'maybe' }).message).toBe('DB_ENCRYPT: expected true or false; found "maybe"');
  });

  it('treats an empty value as not set, so the default applies', () => {
    expect(parseEnv(schema, { PDV_ID: 'p1', DB_POOL_MAX: '' }).DB_POOL_MAX).toBe(5);
  });

  it('never prints the value of a secret variable', () => {
    const secretSchema = z.object({ DB_PASSWORD: z.string().min(12, { message: 'expected at least 12 characters' }) });
    const error = (() => {
      try {
        parseEnv(secretSchema, { DB_PASSWORD: 'hunter2' }, SECRET_VARIABLES);
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.message).toBe('DB_PASSWORD: expected at least 12 characters; found a value of 7 characters (hidden)');
    expect(error.message).not.toContain('hunter2');
  });
});

describe('database settings from the environment', () => {
  const settingsOf = (env: Record<string, string>) => databaseSettingsFromEnv(parseEnv(z.object(databaseEnv), env));

  it('reads a SQL Server URL with encoded credentials and options', () => {
    expect(settingsOf({ DB_URL: 'mssql://sync%40pdv:p%3Ass@db.local:1444/goldpdv?encrypt=false&trustServerCertificate=true' })).toMatchObject({
      kind: 'mssql',
      server: 'db.local',
      port: 1444,
      user: 'sync@pdv',
      password: 'p:ss',
      database: 'goldpdv',
      encrypt: false,
      trustServerCertificate: true,
    });
  });

  it('reads discrete SQL Server variables with a named instance', () => {
    expect(
      settingsOf({ DB_HOST: 'host.docker.internal', DB_INSTANCE: 'SQLEXPRESS', DB_USER: 'sa', DB_PASSWORD: 'x', DB_NAME: 'pdv', DB_TRUST_SERVER_CERTIFICATE: 'true' }),
    ).toMatchObject({ kind: 'mssql', server: 'host.docker.internal', instanceName: 'SQLEXPRESS', database: 'pdv', encrypt: true, trustServerCertificate: true });
  });

  it('reads PostgreSQL and PGlite URLs', () => {
    expect(settingsOf({ DB_URL: 'postgres://postgres@127.0.0.1:5432/pdv' })).toMatchObject({ kind: 'postgres', connectionString: 'postgres://postgres@127.0.0.1:5432/pdv' });
    expect(settingsOf({ DB_URL: 'pglite://memory' })).toEqual({ kind: 'pglite', dataDir: null });
    expect(settingsOf({ DB_URL: 'pglite://./data/pdv' })).toEqual({ kind: 'pglite', dataDir: './data/pdv' });
  });

  it('rejects a missing database with a line naming DB_URL', () => {
    expect(() => settingsOf({})).toThrow('DB_URL: expected a database URL (or DB_HOST and friends); found nothing (neither is set)');
  });

  it('rejects an unknown scheme without echoing the URL (it may hold a password)', () => {
    let message = '';
    try {
      settingsOf({ DB_URL: 'mysql://root:s3cret@h/db' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('DB_URL: expected a mssql://, postgres:// or pglite:// URL; found the scheme "mysql"');
  });
});
