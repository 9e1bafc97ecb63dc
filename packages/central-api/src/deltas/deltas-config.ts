import { z } from 'zod';
import { envBool, envInt, parseEnv, type Env } from '@goldpdv/core';
import { parsedVariable } from '../parse-result.js';
import { parseServedTablesVariable } from './declaration/served-tables-file.js';

/**
 * Environment variables of the pull side (deltas and snapshots). They are meant to be spread into the API's
 * own schema (`...deltasEnv`) so that a bad value stops the start like any other; until they are, the
 * values missing from the API's config are parsed here from the same environment, with the same messages.
 */
export const deltasEnv = {
  /**
   * The JSON file that declares the served tables, their columns and row filters (declaration/); read and
   * validated at start. Unset: the sample schema's declaration, common/served-tables.sample.json.
   */
  SERVED_TABLES_FILE: parsedVariable(parseServedTablesVariable),
  /** Upper bound of GET /v1/changes `wait`; below the request timeout and the load balancer's idle timeout. */
  CHANGES_MAX_WAIT_MS: envInt(0, 60_000).default(25_000),
  /**
   * Upper bound of `wait` on a change stream that asks for heartbeat lines (`heartbeat`): those keep it alive
   * through proxies and tell the PDV a dead connection, so it may outlast CHANGES_MAX_WAIT_MS. A stream without
   * them stays within CHANGES_MAX_WAIT_MS.
   */
  CHANGES_STREAM_MAX_MS: envInt(0, 3_600_000).default(300_000),
  /** How often one query (per replica, for every table) checks for new changes while requests wait or read. */
  CHANGES_POLL_INTERVAL_MS: envInt(20, 5_000).default(150),
  /**
   * On a PostgreSQL server, where the change triggers notify (central/0017): how often the versions are read
   * anyway while nothing is notified, in case a change came by another way (a notification lost with its
   * connection is already taken for a change). SQL Server reads every CHANGES_POLL_INTERVAL_MS.
   */
  CHANGES_IDLE_CHECK_MS: envInt(200, 600_000).default(5_000),
  /**
   * On a PostgreSQL server, where the change triggers notify: the least time between two readings of the versions
   * that notifications call for (never more than CHANGES_POLL_INTERVAL_MS). Shorter than the interval, since each
   * such reading has something to serve: it is most of a change's delay before the PDVs hear of it while other
   * commits (sales) keep notifying.
   */
  CHANGES_NOTIFIED_GAP_MS: envInt(10, 5_000).default(50),
  /** Long polls one replica holds at once (GET /v1/changes with `wait`); beyond it, 503 with Retry-After. */
  LONG_POLLS_MAX: envInt(1, 10_000_000).default(20_000),
  /** Snapshot pages one replica reads at once (GET /v1/snapshot); beyond it, 503 with Retry-After. */
  SNAPSHOTS_MAX_CONCURRENT: envInt(1, 10_000).default(8),
  /** Memory for the pages read once and served to many PDVs (live/shared-pages.ts). */
  SHARED_PAGES_MAX_MB: envInt(1, 4_096).default(64),
  /** How long such a page is kept; its window never changes, so this only bounds memory. */
  SHARED_PAGES_MAX_AGE_MS: envInt(1_000, 3_600_000).default(60_000),
  /** PostgreSQL only: how often the change-log retention runs (SQL Server cleans up itself); 0 turns it off. */
  CHANGE_RETENTION_CLEANUP_INTERVAL_MS: envInt(0, 7 * 86_400_000).default(3_600_000),
  /** How long the served-table list (keys, column types, order) is reused before the catalog is read again. */
  TABLE_REGISTRY_TTL_MS: envInt(0, 600_000).default(10_000),
  /** How long the Sync-Token keys (sync_token_key) are reused before they are read again: how soon every replica signs with a rotated key. */
  SYNC_TOKEN_KEYS_TTL_MS: envInt(0, 3_600_000).default(60_000),
  /**
   * Serve pull-services older than the Sync-Token (pull contract 1, no Sync-Contract header) as before: deltas
   * without a proof of initial data. On during a rollout, so that old and new daemons meet one central-api; turn
   * it off once every PDV runs a release that sends Sync-Contract: 2.
   */
  PULL_CONTRACT_V1: envBool().default(true),
};

export const deltasEnvSchema = z.object(deltasEnv);
export type DeltasConfig = z.infer<typeof deltasEnvSchema>;

const KEYS = Object.keys(deltasEnv) as (keyof DeltasConfig)[];

/** The API's config where it has these keys, the environment (validated) where it does not. */
export function resolveDeltasConfig(config: object, env: Env = process.env): DeltasConfig {
  const given = config as Partial<DeltasConfig>;
  if (KEYS.every((key) => given[key] !== undefined)) return given as DeltasConfig;
  const fromEnv = parseEnv(deltasEnvSchema, env);
  const merged: Record<string, unknown> = { ...fromEnv };
  for (const key of KEYS) if (given[key] !== undefined) merged[key] = given[key];
  return merged as DeltasConfig;
}
