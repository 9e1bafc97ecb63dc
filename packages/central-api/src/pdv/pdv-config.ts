import { z } from 'zod';
import { envInt } from '@goldpdv/core';
import type { FleetThresholds } from './fleet.js';

/** The PDV registry's own variables (PDV_TOKENS, a development shortcut, is parsed in pdv-tokens.ts). */
export const pdvEnv = {
  /**
   * How often a replica writes when each PDV last called it (`pdv list`): the latest request time of every PDV
   * it saw meanwhile, in one statement. Requests themselves never write it.
   */
  PDV_LAST_SEEN_INTERVAL_MS: envInt(100, 3_600_000).default(60_000),
  /** How often a replica stores the PDVs' status reports received meanwhile (one statement per 500 reports). */
  FLEET_FLUSH_INTERVAL_MS: envInt(100, 3_600_000).default(5_000),
  /** The fleet view calls a PDV silent when nothing was heard from it (report or request) for this long. */
  FLEET_SILENT_MINUTES: envInt(1, 10_080).default(15),
  /** The fleet view calls a PDV behind when a table was last pulled up to date, or its oldest pending event waits, longer ago than this. */
  FLEET_BEHIND_MINUTES: envInt(1, 10_080).default(30),
  /** The token of the fleet page on the admin port (GET /fleet, header Authorization: Bearer ...); unset, the page is not served. */
  ADMIN_TOKEN: z.string().min(16, { message: 'expected at least 16 characters' }).optional(),
};

/** The fleet view's bounds, from the variables above. */
export function fleetThresholdsOf(config: { FLEET_SILENT_MINUTES: number; FLEET_BEHIND_MINUTES: number }): FleetThresholds {
  return { silentAfterSeconds: config.FLEET_SILENT_MINUTES * 60, behindAfterSeconds: config.FLEET_BEHIND_MINUTES * 60 };
}
