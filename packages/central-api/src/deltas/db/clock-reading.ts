/**
 * What one tick of the serving clock (live/serving-clock.ts) reads, with one statement for every served table.
 *
 * `upper` is the upper version every read of an epoch uses. It is settled (every change below it, on
 * PostgreSQL's windows [since, upper), or up to it, on SQL Server's (since, upper], has committed and can never
 * be joined by another), so a window ending there is final however long ago it was taken. And it is computed
 * from the data alone, not from the moment it is read: just above the latest change of any served table, or
 * their minimum valid versions (which retention moves). Every replica that has seen the same changes therefore
 * reads the same upper version, so PDVs spread over replicas by a load balancer still ask for the same windows.
 *
 * `bound` is the settled bound as read now (sync_settled_bound(), CHANGE_TRACKING_CURRENT_VERSION()); the next
 * tick on SQL Server looks for changes after it.
 *
 * `quietFrom`, per table (by trackingName): a window of that table that starts at `since >= quietFrom` and ends
 * at `upper` holds no change, and is valid (not below the minimum valid version). A table that is not tracked
 * has no entry, so its reads go to the database and report it paused.
 */
export interface ClockReading {
  upper: bigint;
  bound: bigint;
  incarnation: string;
  quietFrom: Map<string, bigint>;
  /**
   * PostgreSQL: a committed change sits at or above the bound (an older transaction is still open), so a later
   * reading will serve it with no notification of its own; the clock keeps ticking until it is settled.
   */
  unsettled?: boolean;
}

/** The upper version of a reading: the highest quietFrom, or the bound before any table has a change. */
export function upperOf(quietFrom: ReadonlyMap<string, bigint>, bound: bigint): bigint {
  let upper = 0n;
  for (const value of quietFrom.values()) if (value > upper) upper = value;
  return upper > 0n && upper <= bound ? upper : bound;
}
