import { z } from 'zod';
import { envBool, envEnum, envInt, envString, envUrl, pdvIdentityEnv } from '@goldpdv/core';

/** push-service's own variables; the shared ones (DB_*, LOG_*, HEALTH_*, POLL_INTERVAL_MS...) come from @goldpdv/core. */
export const pushEnv = {
  ...pdvIdentityEnv,
  /** Base URL of the central API, e.g. https://vps.example.com.br */
  CENTRAL_API_URL: envUrl(['http', 'https']),
  /** This PDV's bearer token, as issued centrally. */
  CENTRAL_API_TOKEN: envString('the bearer token issued to this PDV'),
  /** batch: our contract (POST /v1/events). per-event: one POST per event to PUSH_EVENT_URL_TEMPLATE. */
  PUSH_MODE: envEnum(['batch', 'per-event'] as const).default('batch'),
  /** Per-event mode target, with {type}, {eventId} and {streamKey} placeholders. */
  PUSH_EVENT_URL_TEMPLATE: z.string().optional(),
  /** Per-event mode: how many streams are sent in parallel. */
  PUSH_PER_EVENT_CONCURRENCY: envInt(1, 64).default(4),
  /** Events claimed per batch. */
  PUSH_BATCH_SIZE: envInt(1, 1_000).default(200),
  /** Batches in flight at once (each claims its own streams). */
  PUSH_CONCURRENCY: envInt(1, 16).default(2),
  /** How long a claim is held; must exceed the longest send (connect + response timeouts). */
  PUSH_LEASE_MS: envInt(1_000, 3_600_000).default(120_000),
  PUSH_CONNECT_TIMEOUT_MS: envInt(100, 120_000).default(10_000),
  PUSH_RESPONSE_TIMEOUT_MS: envInt(100, 600_000).default(30_000),
  /** Request bodies at least this large are gzip-compressed. */
  PUSH_GZIP_MIN_BYTES: envInt(0, 100_000_000).default(1_024),
  PUSH_BACKOFF_BASE_MS: envInt(1, 3_600_000).default(1_000),
  /** Upper bound of the wait between two attempts of one event. */
  PUSH_BACKOFF_CAP_MS: envInt(1, 86_400_000).default(300_000),
  /**
   * A row claimed this many times without ever reaching a result (the worker died holding it) is set aside.
   * Each such claim takes a smaller batch (a quarter, a sixteenth, then alone), so with the default of 6 the row
   * has killed the worker twice while sent alone.
   */
  PUSH_POISON_CLAIM_LIMIT: envInt(2, 1_000).default(6),
  /** Sent rows are kept this long for audit, then deleted in batches. */
  PUSH_RETENTION_HOURS: envInt(1, 24 * 3_650).default(24 * 7),
  PUSH_RETENTION_BATCH: envInt(1, 100_000).default(1_000),
  /** On SIGTERM, the batch in flight gets this long to finish before its request is abandoned and released. */
  PUSH_STOP_GRACE_MS: envInt(0, 600_000).default(5_000),
  /** Verify the central API's TLS certificate. Turn off only for a test VPS; a warning is logged. */
  CENTRAL_API_TLS_VERIFY: envBool().default(true),
  /** Extra CA certificate (PEM file path) for a VPS with a private certificate authority. */
  CENTRAL_API_CA_FILE: z.string().optional(),
};

export const PUSH_SECRET_VARIABLES = ['CENTRAL_API_TOKEN'] as const;
