import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { centralAlertEnv, statusReportEnv, envBool, envEnum, envInt, envString, envUrl, pdvIdentityEnv } from '@goldpdv/core';
import { MAX_ROWS_PER_STATEMENT, STATEMENT_SIZE_REASON } from './db/statement-size.js';

/** The mapping file shipped next to the package (pull-service/sync-tables.json), from src/ and from dist/. */
export const BUNDLED_TABLES_FILE = fileURLToPath(new URL('../sync-tables.json', import.meta.url));

export const REJECT_POLICIES = ['stop-table', 'skip-row'] as const;
export type RejectPolicy = (typeof REJECT_POLICIES)[number];

/** pull-service's own variables; the shared ones (DB_*, LOG_*, HEALTH_*, POLL_INTERVAL_MS...) come from @goldpdv/core. */
export const pullEnv = {
  ...pdvIdentityEnv,
  /** Base URL of the central API, e.g. https://vps.example.com.br */
  CENTRAL_API_URL: envUrl(['http', 'https']),
  /** This PDV's bearer token, as issued centrally. */
  CENTRAL_API_TOKEN: envString('the bearer token issued to this PDV'),
  /** Which tables to pull, in which order, and how their columns map (JSON, validated at start). */
  PULL_TABLES_FILE: z.string().default(BUNDLED_TABLES_FILE),
  /** Rows per page asked of the central API (a table's batchSize in the mapping file wins); see statement-size.ts for the bound. */
  PULL_PAGE_SIZE: z
    .string()
    .regex(/^\d+$/, { message: `expected an integer between 1 and ${MAX_ROWS_PER_STATEMENT}` })
    .transform(Number)
    .pipe(z.number().int().min(1, { message: 'expected an integer >= 1' }).max(MAX_ROWS_PER_STATEMENT, { message: `expected an integer <= ${MAX_ROWS_PER_STATEMENT} (${STATEMENT_SIZE_REASON})` }))
    .default(500),
  /** How long the central API may hold a request open when nothing changed (the `wait` parameter); 0 = plain polling. */
  PULL_LONG_POLL_MS: envInt(0, 300_000).default(20_000),
  /**
   * How long one change stream stays open when nothing changes. Longer than PULL_LONG_POLL_MS, the central API
   * sends a heartbeat line every PULL_LONG_POLL_MS (at most 30 s) of silence, and a stream silent for twice that
   * and 10 s more is taken for a dead connection; not longer, a stream lasts PULL_LONG_POLL_MS, as a wait does.
   * At most half LOOP_STALL_TIMEOUT_MS (a stream is one cycle of the work loop), and a wait only while a table
   * fails, is postponed or holds deletes back (the next round steps it again).
   */
  PULL_STREAM_MS: envInt(0, 3_600_000).default(150_000),
  PULL_CONNECT_TIMEOUT_MS: envInt(100, 120_000).default(10_000),
  /** Bound on one answer, on top of the long-poll wait. */
  PULL_RESPONSE_TIMEOUT_MS: envInt(100, 600_000).default(60_000),
  /** A row the local database refuses: stop-table holds the table's checkpoint; skip-row records the row and goes on. */
  PULL_REJECT_POLICY: envEnum(REJECT_POLICIES).default('stop-table'),
  /** First wait after a table failed; doubled (with full jitter) on each further failure. */
  PULL_RETRY_BASE_MS: envInt(10, 3_600_000).default(1_000),
  /** Longest wait between two attempts of a failing table or an unreachable central API. */
  PULL_RETRY_CAP_MS: envInt(10, 86_400_000).default(300_000),
  /** Verify the central API's TLS certificate. Turn off only for a test VPS; a warning is logged. */
  CENTRAL_API_TLS_VERIFY: envBool().default(true),
  /** Extra CA certificate (PEM file path) for a VPS with a private certificate authority. */
  CENTRAL_API_CA_FILE: z.string().optional(),
  ...centralAlertEnv,
  ...statusReportEnv,
};

export const PULL_SECRET_VARIABLES = ['CENTRAL_API_TOKEN'] as const;

export type PullEnv = z.infer<z.ZodObject<typeof pullEnv>>;
