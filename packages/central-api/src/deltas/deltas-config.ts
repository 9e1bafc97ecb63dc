import { z } from 'zod';
import { envInt, parseEnv, type Env } from '@goldpdv/core';
import { parseRowFilters } from './row-filters.js';

/**
 * Environment variables of the pull side (deltas and snapshots). They are meant to be spread into the API's
 * own schema (`...deltasEnv`) so that a bad value stops the start like any other; until they are, the
 * values missing from the API's config are parsed here from the same environment, with the same messages.
 */
export const deltasEnv = {
  /** table.column,...: upserts of `table` only reach PDVs of the loja in `column`; `none` turns it off. */
  ROW_FILTERS: z
    .string()
    .optional()
    .transform((raw, context) => {
      const result = parseRowFilters(raw);
      if (result.ok) return result.value;
      context.addIssue({ code: 'custom', message: result.message, input: raw });
      return z.NEVER;
    }),
  /** Upper bound of GET /v1/changes `wait`; below the request timeout and the load balancer's idle timeout. */
  CHANGES_MAX_WAIT_MS: envInt(0, 60_000).default(25_000),
  /** How often one query checks for new changes while at least one request is waiting for them. */
  CHANGES_POLL_INTERVAL_MS: envInt(20, 5_000).default(150),
  /** PostgreSQL only: how often the change-log retention runs (SQL Server cleans up itself); 0 turns it off. */
  CHANGE_RETENTION_CLEANUP_INTERVAL_MS: envInt(0, 7 * 86_400_000).default(3_600_000),
  /** How long the served-table list (keys, column types, order) is reused before the catalog is read again. */
  TABLE_REGISTRY_TTL_MS: envInt(0, 600_000).default(10_000),
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
