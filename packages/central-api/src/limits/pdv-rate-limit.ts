import type { Authenticator } from '../auth.js';
import { HttpProblem, PROBLEM_TYPES } from '../http/problem.js';

export interface PdvRateLimitOptions {
  /** Requests per second a PDV may make on average; 0 turns the limit off. */
  perSecond: number;
  /** How many it may make at once after a quiet spell. */
  burst: number;
  /** Bound on the PDVs remembered; the least recently seen are forgotten first (they start with a full bucket). */
  maxPdvs?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per PDV: a daemon that misbehaves (a loop without its back-off, a clone of a PDV's disk on
 * ten PCs) is slowed to `perSecond` without slowing the rest of the fleet. Kept in memory per replica: behind a
 * load balancer each replica allows its share, which is what protects it.
 */
export class PdvRateLimit {
  private readonly buckets = new Map<string, Bucket>();
  refused = 0;

  constructor(private readonly options: PdvRateLimitOptions) {}

  /** Takes a token for this PDV, or says in how many seconds one will be there. */
  take(pdvId: string, now = Date.now()): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const { perSecond, burst } = this.options;
    if (perSecond <= 0) return { allowed: true };
    const bucket = this.buckets.get(pdvId) ?? { tokens: burst, at: now };
    this.buckets.delete(pdvId);
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1_000) * perSecond);
    bucket.at = now;
    // Re-inserted: the Map's first entry is the least recently seen PDV.
    this.buckets.set(pdvId, bucket);
    if (this.buckets.size > (this.options.maxPdvs ?? 100_000)) this.buckets.delete(this.buckets.keys().next().value!);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    this.refused += 1;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) };
  }
}

export const tooManyRequests = (retryAfterSeconds: number, detail: string): HttpProblem =>
  new HttpProblem(429, PROBLEM_TYPES.rateLimited, 'Too many requests', { detail, headers: { 'retry-after': String(retryAfterSeconds) } });

/** Every authenticated request takes a token of its PDV; beyond the rate it is answered 429 with Retry-After. */
export function rateLimited(auth: Authenticator, limit: PdvRateLimit): Authenticator {
  return {
    async authenticate(headers) {
      const identity = await auth.authenticate(headers);
      const taken = limit.take(identity.pdvId);
      if (!taken.allowed) throw tooManyRequests(taken.retryAfterSeconds, `PDV ${identity.pdvId} sent more requests than this server takes from one PDV; retry after ${taken.retryAfterSeconds} s`);
      return identity;
    },
  };
}
