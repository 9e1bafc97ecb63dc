import { z } from 'zod';
import { envBool, envEnum, envInt, envString } from './env-types.js';

/**
 * Variables every process shares: database, logs, health server, schema and shutdown. Each daemon extends this
 * object with its own variables. Defaults here are the documented defaults in .env.example.
 */
export const databaseEnv = {
  /** mssql://user:pass@host:port/db?encrypt=true, postgres://..., pglite:///path/to/dir or pglite://memory */
  DB_URL: z.string().optional(),
  DB_DIALECT: envEnum(['mssql', 'postgres'] as const).default('mssql'),
  DB_HOST: z.string().optional(),
  DB_PORT: envInt(1, 65_535).optional(),
  /** SQL Server named instance (e.g. SQLEXPRESS); the port is then found through the SQL Browser service. */
  DB_INSTANCE: z.string().optional(),
  DB_USER: z.string().optional(),
  DB_PASSWORD: z.string().optional(),
  DB_NAME: z.string().optional(),
  DB_ENCRYPT: envBool().default(true),
  DB_TRUST_SERVER_CERTIFICATE: envBool().default(false),
  DB_POOL_MAX: envInt(1, 100).default(5),
  DB_CONNECT_TIMEOUT_MS: envInt(100, 300_000).default(15_000),
  DB_REQUEST_TIMEOUT_MS: envInt(100, 3_600_000).default(30_000),
  /** Apply the versioned scripts in common/ at start. Turn off where a DBA applies them by hand. */
  DB_SCHEMA_AUTO_APPLY: envBool().default(true),
  /** Bound of one schema batch and of the wait for the schema lock: an index build on a large table takes minutes. */
  DB_SCHEMA_TIMEOUT_MS: envInt(1_000, 86_400_000).default(1_800_000),
};

export const logEnv = {
  LOG_LEVEL: envEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const).default('info'),
  /** Directory of the rotating files; empty = stdout only. */
  LOG_DIR: z.string().optional(),
  LOG_FILE_MAX_SIZE: z.string().regex(/^\d+[kmg]?$/i, { message: 'expected a size such as 10m, 500k or 1g' }).default('10m'),
  LOG_FILE_FREQUENCY: z
    .string()
    .regex(/^(daily|hourly|\d+)$/, { message: 'expected daily, hourly or a number of milliseconds' })
    .default('daily'),
  LOG_FILE_COUNT: envInt(1, 1_000).default(10),
  LOG_PRETTY: envBool().default(false),
};

export const healthEnv = {
  HEALTH_HOST: z.string().default('0.0.0.0'),
  HEALTH_PORT: envInt(0, 65_535).default(8080),
};

export const processEnv = {
  SHUTDOWN_TIMEOUT_MS: envInt(100, 600_000).default(15_000),
};

export const pdvIdentityEnv = {
  /** Identifier of this terminal, as registered centrally (sync_pdv.pdv_id). */
  PDV_ID: envString('the PDV id, e.g. loja01-pdv03')
    .max(32, { message: 'expected at most 32 characters' })
    .regex(/^[A-Za-z0-9._-]+$/, { message: 'expected letters, digits, dot, dash or underscore' }),
};

/** Variables whose values are never printed, in config errors or logs. */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set(['DB_URL', 'DB_PASSWORD', 'CENTRAL_API_TOKEN', 'CENTRAL_DB_URL']);
