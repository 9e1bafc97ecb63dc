import { z } from 'zod';
import { databaseEnv, envInt, logEnv, MAX_EVENTS_PER_BATCH, processEnv, SECRET_VARIABLES } from '@goldpdv/core';
import { parseEventHandlers } from './ingest/event-handlers.js';
import type { ParseResult } from './parse-result.js';
import { parsePdvTokens } from './pdv/pdv-tokens.js';
import { deltasEnv } from './deltas/index.js';

export const SERVICE_NAME = 'central-api';

const MIB = 1024 * 1024;

/** Turns a ParseResult into a zod transform, so that a bad value is reported like any other variable. */
const parsed = <T>(parse: (raw: string | undefined) => ParseResult<T>) =>
  z
    .string()
    .optional()
    .transform((raw, context) => {
      const result = parse(raw);
      if (result.ok) return result.value;
      context.addIssue({ code: 'custom', message: result.message, input: raw });
      return z.NEVER;
    });

/** Every variable the central API reads; defaults are the documented ones. */
export const centralEnv = {
  ...databaseEnv,
  ...logEnv,
  ...processEnv,
  HTTP_HOST: z.string().default('0.0.0.0'),
  HTTP_PORT: envInt(0, 65_535).default(8090),
  /** Bound on a request body, as sent and after gzip is undone. */
  MAX_BODY_BYTES: envInt(1_024, 512 * MIB).default(10 * MIB),
  /** May lower the contract's own maximum, never raise it: clients size their batches by the contract. */
  MAX_EVENTS_PER_BATCH: envInt(1, MAX_EVENTS_PER_BATCH).default(MAX_EVENTS_PER_BATCH),
  /** type=routine,... ; empty = events are stored in the inbox only. */
  EVENT_HANDLERS: parsed(parseEventHandlers),
  /** Bound on one whole request, body upload included. */
  REQUEST_TIMEOUT_MS: envInt(1_000, 3_600_000).default(120_000),
  /** Longer than the idle timeout of the load balancers in front (often 60 s), so they close first. */
  KEEP_ALIVE_TIMEOUT_MS: envInt(1_000, 600_000).default(65_000),
  /** How long a wait for a row lock held by a concurrent request may last before the event is answered "retry". */
  INGEST_LOCK_TIMEOUT_MS: envInt(50, 60_000).default(5_000),
  /** How long a token lookup is trusted; a deactivated PDV is refused at most this long after the change. */
  AUTH_CACHE_TTL_MS: envInt(0, 600_000).default(30_000),
  /** Retry-After of 503 and 409 answers. */
  RETRY_AFTER_SECONDS: envInt(1, 3_600).default(5),
  /**
   * SQL Server Change Tracking retention set by the schema scripts (days). It must be longer than the longest
   * outage a PDV may have; past it, the PDV re-snapshots. A re-run only lengthens an existing retention.
   */
  CT_RETENTION_DAYS: envInt(1, 3_650).default(7),
  /** Demo and development only: pdvId:lojaId:token,... registered (sha256 of the token) in sync_pdv at start. */
  PDV_TOKENS: parsed(parsePdvTokens),
  /** The pull side: row filters, long-poll bounds, change-log retention. */
  ...deltasEnv,
};

export const centralEnvSchema = z.object(centralEnv);
export type CentralConfig = z.infer<typeof centralEnvSchema>;

export const CENTRAL_SECRET_VARIABLES: ReadonlySet<string> = new Set([...SECRET_VARIABLES, 'PDV_TOKENS']);

/** Literal values to scrub from every log line: secret variables and each bootstrap token on its own. */
export function secretValues(config: CentralConfig): string[] {
  const values = [config.DB_URL, config.DB_PASSWORD, ...config.PDV_TOKENS.map((pdv) => pdv.token)];
  return values.filter((value): value is string => typeof value === 'string' && value.length > 0);
}
