export interface BackoffPolicy {
  /** Delay scale of the first retry, in ms. */
  baseMs: number;
  /** Upper bound of any single delay, in ms. */
  capMs: number;
}

/**
 * "Full jitter" exponential backoff: a uniform random delay in [0, min(cap, base * 2^attempt)).
 * Spreading retries over the whole window keeps a fleet of PDVs that failed together from retrying together.
 * `attempt` counts from 0 for the first retry.
 */
export function fullJitterDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt, 0), 52);
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/** Adds uniform jitter of ±`fraction` to an interval, for poll loops that must not align across PDVs. */
export function jitteredIntervalMs(intervalMs: number, fraction: number, random: () => number = Math.random): number {
  const spread = intervalMs * Math.min(Math.max(fraction, 0), 1);
  return Math.max(0, Math.round(intervalMs - spread + random() * 2 * spread));
}
