import { z } from 'zod';
import { databaseEnv, envInt, logEnv, MAX_EVENTS_PER_BATCH, processEnv, SECRET_VARIABLES } from '@goldpdv/core';
import { parseCadastroDeclarationVariable } from './backoffice/cadastro-declaration.js';
import { parseEventHandlers } from './ingest/event-handlers.js';
import { parseInboxRetentionDays } from './ingest/inbox-retention-config.js';
import { parsedVariable, retiredVariable } from './parse-result.js';
import { pdvEnv } from './pdv/pdv-config.js';
import { parsePdvTokens } from './pdv/pdv-tokens.js';
import { deltasEnv } from './deltas/index.js';

export const SERVICE_NAME = 'central-api';

const MIB = 1024 * 1024;

/** Every variable the central API reads; defaults are the documented ones. */
export const centralEnv = {
  ...databaseEnv,
  ...logEnv,
  ...processEnv,
  HTTP_HOST: z.string().default('0.0.0.0'),
  HTTP_PORT: envInt(0, 65_535).default(8090),
  /**
   * The admin port: /metrics now, operator pages later. Apart from the public API so that it is never exposed
   * with it; loopback by default (compose publishes it on the host's loopback only).
   */
  ADMIN_HOST: z.string().default('127.0.0.1'),
  ADMIN_PORT: envInt(0, 65_535).default(9090),
  /** Bound on a request body, as sent and after gzip is undone. */
  MAX_BODY_BYTES: envInt(1_024, 512 * MIB).default(10 * MIB),
  /** May lower the contract's own maximum, never raise it: clients size their batches by the contract. */
  MAX_EVENTS_PER_BATCH: envInt(1, MAX_EVENTS_PER_BATCH).default(MAX_EVENTS_PER_BATCH),
  /** type=routine,... ; empty = events are stored in the inbox only. */
  EVENT_HANDLERS: parsedVariable(parseEventHandlers),
  /** Bound on one whole request, body upload included. */
  REQUEST_TIMEOUT_MS: envInt(1_000, 3_600_000).default(120_000),
  /** Longer than the idle timeout of the load balancers in front (often 60 s), so they close first. */
  KEEP_ALIVE_TIMEOUT_MS: envInt(1_000, 600_000).default(65_000),
  /** How long a wait for a row lock held by a concurrent request may last before the event is answered "retry". */
  INGEST_LOCK_TIMEOUT_MS: envInt(50, 60_000).default(5_000),
  /** How long a token lookup is trusted; a deactivated PDV is refused at most this long after the change. */
  AUTH_CACHE_TTL_MS: envInt(0, 600_000).default(30_000),
  /** How many PDV tokens a replica keeps looked up: above the fleet's size, or every request reads the registry. */
  AUTH_CACHE_MAX_TOKENS: envInt(100, 10_000_000).default(50_000),
  /** Requests per second one PDV may make on average (429 with Retry-After beyond); 0 turns the limit off. */
  PDV_RATE_LIMIT_PER_S: envInt(0, 100_000).default(50),
  /** How many requests a PDV may make at once after a quiet spell (a pull round after a wake-up, a backlog). */
  PDV_RATE_LIMIT_BURST: envInt(1, 1_000_000).default(200),
  /**
   * Open connections a replica accepts (0: no bound). Each waiting PDV holds one; beyond the bound new ones are
   * closed at once. The process's file-descriptor limit (ulimit -n) must be above it: see the operators guide.
   */
  MAX_CONNECTIONS: envInt(0, 10_000_000).default(30_000),
  /** Retry-After of 503 and 409 answers. */
  RETRY_AFTER_SECONDS: envInt(1, 3_600).default(5),
  /**
   * Change retention of the central database (days), applied at every start when set; unset, the database keeps
   * the retention it has (7 days when the schema scripts first enable Change Tracking). It must be longer than
   * the longest outage a PDV may have; past it, the PDV re-snapshots.
   */
  CT_RETENTION_DAYS: envInt(1, 3_650).optional(),
  /**
   * Days an event stays in sync_inbox after it arrived (default 90, at least 35; 0 keeps every event). Older rows
   * are purged hourly in small batches; their keys stay in sync_inbox_purged, so a replay is still a duplicate.
   */
  INBOX_RETENTION_DAYS: parsedVariable(parseInboxRetentionDays),
  /** Demo and development only: pdvId:lojaId:token,... registered (sha256 of the token) in sync_pdv at start. */
  PDV_TOKENS: parsedVariable(parsePdvTokens),
  /** What the back office may write through /v1/backoffice/cadastros; unset: common/backoffice-tables.sample.json. */
  BACKOFFICE_TABLES_FILE: parsedVariable(parseCadastroDeclarationVariable),
  /** The PDV registry: how often the last-seen times are written. */
  ...pdvEnv,
  /** The pull side: the served-tables declaration, long-poll bounds, change-log retention. */
  ...deltasEnv,
  /** Retired: row filters are part of the SERVED_TABLES_FILE declaration now. A value left set stops the start. */
  ROW_FILTERS: retiredVariable('it unset: row filters are declared in SERVED_TABLES_FILE now ("rowFilter": { "column": "<column>" } on its table) and unset ROW_FILTERS'),
};

export const centralEnvSchema = z.object(centralEnv);
export type CentralConfig = z.infer<typeof centralEnvSchema>;

export const CENTRAL_SECRET_VARIABLES: ReadonlySet<string> = new Set([...SECRET_VARIABLES, 'PDV_TOKENS', 'ADMIN_TOKEN']);

/** Literal values to scrub from every log line: secret variables and each bootstrap token on its own. */
export function secretValues(config: CentralConfig): string[] {
  const values = [config.DB_URL, config.DB_PASSWORD, config.ADMIN_TOKEN, ...config.PDV_TOKENS.map((pdv) => pdv.token)];
  return values.filter((value): value is string => typeof value === 'string' && value.length > 0);
}
