import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { centralAlertEnv, statusReportEnv, envBool, envEnum, envInt, envString, envUrl, pdvIdentityEnv } from '@goldpdv/core';

/** The events declaration shipped next to the package (push-service/outbox-events.json): the sample GoldPDV events. */
export const BUNDLED_EVENTS_FILE = fileURLToPath(new URL('../outbox-events.json', import.meta.url));

/**
 * Rows one statement may write while sales run. SQL Server tries to escalate a statement's row locks to a table
 * lock once it holds about 5,000 locks on one index, and a table lock on the outbox stops every sale until the
 * statement's transaction ends. A delete takes a row lock per row in each index and intent locks on their pages:
 * 2,000 rows stay well below. (A claim and its outcomes write at most PUSH_BATCH_SIZE rows, 1,000 at most.)
 */
export const MAX_ROWS_PER_DELETE = 2_000;

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
  /** Events claimed per batch; at most 1,000, which also keeps a claim's locks far from SQL Server's lock escalation. */
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
  PUSH_RETENTION_BATCH: envInt(1, 100_000)
    .pipe(z.number().max(MAX_ROWS_PER_DELETE, {
      message: `expected at most ${MAX_ROWS_PER_DELETE} rows per delete (more would make SQL Server escalate to a table lock on sync_outbox, which stops the sales until the delete commits)`,
    }))
    .default(1_000),
  /** On SIGTERM, the batch in flight gets this long to finish before its request is abandoned and released. */
  PUSH_STOP_GRACE_MS: envInt(0, 600_000).default(5_000),
  /** The events declaration (docs/adopting.md); the bundled sample GoldPDV events when unset or empty. */
  PUSH_EVENTS_FILE: z.string().optional(),
  /**
   * Longest pause between two reads of an empty outbox on a PostgreSQL server, where a notification of the outbox
   * triggers (common/postgres/pdv/0014_outbox_wakeup.sql) ends the pause as soon as a sale commits: the pause
   * doubles from POLL_INTERVAL_MS up to this while nothing comes. At most half of LOOP_STALL_TIMEOUT_MS is used.
   * 0 (or a value not above POLL_INTERVAL_MS) turns it off: the outbox is read every POLL_INTERVAL_MS, as on SQL Server.
   */
  PUSH_IDLE_POLL_MAX_MS: envInt(0, 3_600_000).default(60_000),
  /** Captures turned into events per round (each round is one short transaction of push-service's own). */
  PUSH_CAPTURE_BATCH: envInt(1, 1_000).default(500),
  /** Pause between two passes of the reconciliation sweep over the declared tables; 0 turns the sweep off. */
  PUSH_SWEEP_INTERVAL_MS: envInt(0, 7 * 86_400_000).default(600_000),
  /** Source rows the sweep reads per step (one step per cycle while a pass runs). */
  PUSH_SWEEP_PAGE_ROWS: envInt(10, 50_000).default(2_000),
  /** How often the sales are compared with the central API's (sync_reconciliation, shown by status); 0: never. */
  PUSH_RECONCILE_INTERVAL_MS: envInt(0, 86_400_000).default(900_000),
  /** Days compared each time, today included. */
  PUSH_RECONCILE_DAYS: envInt(1, 31).default(3),
  /** Verify the central API's TLS certificate. Turn off only for a test VPS; a warning is logged. */
  CENTRAL_API_TLS_VERIFY: envBool().default(true),
  /** Extra CA certificate (PEM file path) for a VPS with a private certificate authority. */
  CENTRAL_API_CA_FILE: z.string().optional(),
  ...centralAlertEnv,
  ...statusReportEnv,
};

export const PUSH_SECRET_VARIABLES = ['CENTRAL_API_TOKEN'] as const;
