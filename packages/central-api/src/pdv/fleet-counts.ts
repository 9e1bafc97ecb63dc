import type { Queryable } from '@goldpdv/core';
import type { CentralLogger } from '../logger.js';
import { countByState, readFleet, type FleetState, type FleetStores, type FleetThresholds } from './fleet.js';

/**
 * The PDVs by state for the goldpdv_fleet_pdvs gauge, read through readFleet (the same judgement as the fleet
 * view) at most once every `minIntervalMs`: several scrapers must not each read the whole fleet. Null when the
 * database could not be read (the gauge keeps its previous values; the failure is logged).
 */
export function fleetCounts(options: { db: Queryable; stores: FleetStores; thresholds: FleetThresholds; logger: CentralLogger; minIntervalMs: number }): () => Promise<Record<FleetState, number> | null> {
  let cached: { at: number; counts: Record<FleetState, number> } | null = null;
  let reading: Promise<Record<FleetState, number> | null> | null = null;
  const read = async (): Promise<Record<FleetState, number> | null> => {
    try {
      const counts = countByState(await readFleet(options.db, options.stores, {}, options.thresholds));
      cached = { at: Date.now(), counts };
      return counts;
    } catch (error) {
      options.logger.warn({ err: error }, 'could not read the fleet for goldpdv_fleet_pdvs');
      return null;
    }
  };
  return () => {
    if (cached !== null && Date.now() - cached.at < options.minIntervalMs) return Promise.resolve(cached.counts);
    reading ??= read().finally(() => {
      reading = null;
    });
    return reading;
  };
}
