import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { tokenHash, type Queryable } from '@goldpdv/core';
import { HttpProblem, PROBLEM_TYPES } from './http/problem.js';
import type { PdvStore } from './pdv/pdv-store.js';
import { BEARER_TOKEN } from './pdv/pdv-tokens.js';

/** Who is calling, as the bearer token says. */
export interface PdvIdentity {
  pdvId: string;
  lojaId: number;
}

export interface Authenticator {
  /** Resolves the caller from `Authorization: Bearer <token>`, or throws a 401 HttpProblem. */
  authenticate(headers: IncomingHttpHeaders): Promise<PdvIdentity>;
}

export interface AuthenticatorOptions {
  /** How long a lookup is trusted. Only a cache: the registry stays in the database, shared by every replica. */
  cacheTtlMs: number;
  maxCachedTokens?: number;
  /** Unknown tokens are remembered for less time, so a PDV registered a moment ago is not kept out for long. */
  negativeTtlMs?: number;
}

const REALM = 'goldpdv-central';
const MAX_TOKEN_LENGTH = 512;

interface CacheEntry {
  identity: PdvIdentity | null;
  expiresAt: number;
  /** When the database last said this: a revalidation that read the registry before it must not overwrite it. */
  checkedAt: number;
}

const unauthorized = (detail: string, error?: 'invalid_request' | 'invalid_token'): HttpProblem =>
  new HttpProblem(401, PROBLEM_TYPES.unauthorized, 'Unauthorized', {
    detail,
    headers: { 'www-authenticate': error ? `Bearer realm="${REALM}", error="${error}"` : `Bearer realm="${REALM}"` },
  });

/**
 * Tokens are cached by hash for `cacheTtlMs`. Every half TTL, on the next request, one read of the registry's active
 * tokens revalidates every cached entry at once: a fleet of 10,000 PDVs then costs one query per half TTL instead of
 * one lookup per PDV per TTL, and a revoked, rotated or moved token still takes effect within the TTL (an entry the
 * read does not confirm expires or is dropped). A revalidation that fails changes nothing: entries then expire on
 * their own, and the per-token lookup that follows reports the database error to its request.
 */
export function createAuthenticator(db: Queryable, store: PdvStore, options: AuthenticatorOptions): Authenticator {
  const maxEntries = options.maxCachedTokens ?? 1_000;
  const negativeTtlMs = Math.min(options.negativeTtlMs ?? 5_000, options.cacheTtlMs);
  const revalidateEveryMs = Math.max(1, Math.floor(options.cacheTtlMs / 2));
  // Keyed by the token's hash, never the token: a heap dump then holds no credential. Times are monotonic
  // (performance.now), so a wall clock set back does not stretch the trust.
  const cache = new Map<string, CacheEntry>();
  let nextRevalidationAt = performance.now() + revalidateEveryMs;
  let revalidating = false;

  const remember = (hash: string, identity: PdvIdentity | null, checkedAt: number): void => {
    const ttl = identity ? options.cacheTtlMs : negativeTtlMs;
    if (ttl <= 0) return;
    cache.delete(hash);
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
    cache.set(hash, { identity, expiresAt: checkedAt + ttl, checkedAt });
  };

  const revalidate = async (): Promise<void> => {
    const readAt = performance.now();
    const active = new Map((await store.listActiveTokens(db)).map((token) => [token.tokenHash, token]));
    for (const [hash, entry] of cache) {
      // Negative entries are short-lived already; entries written after the read started know better than it.
      if (entry.identity === null || entry.checkedAt >= readAt) continue;
      const token = active.get(hash);
      if (token === undefined) {
        cache.delete(hash);
        continue;
      }
      entry.identity = { pdvId: token.pdvId, lojaId: token.lojaId };
      entry.checkedAt = readAt;
      entry.expiresAt = readAt + options.cacheTtlMs;
    }
  };

  const revalidateWhenDue = (now: number): void => {
    if (options.cacheTtlMs <= 0 || revalidating || now < nextRevalidationAt) return;
    nextRevalidationAt = now + revalidateEveryMs;
    if (cache.size === 0) return;
    revalidating = true;
    revalidate()
      .catch(() => undefined)
      .finally(() => {
        revalidating = false;
      });
  };

  const lookup = async (hash: string): Promise<PdvIdentity | null> => {
    const now = performance.now();
    revalidateWhenDue(now);
    const cached = cache.get(hash);
    if (cached && cached.expiresAt > now) {
      // Refreshing the position makes eviction drop the least recently used token first.
      cache.delete(hash);
      cache.set(hash, cached);
      return cached.identity;
    }
    const row = await store.findByTokenHash(db, hash);
    // The database compared the hashes already; this re-check costs nothing and guards against a collation
    // that compares char columns loosely (trailing spaces, case).
    const matches = row !== undefined && equalHex(row.token_hash.trim(), hash);
    const identity = matches && (row.active === true || row.active === 1) ? { pdvId: row.pdv_id, lojaId: Number(row.loja_id) } : null;
    remember(hash, identity, now);
    return identity;
  };

  return {
    async authenticate(headers) {
      const header = headers.authorization;
      if (header === undefined || header === '') throw unauthorized('an Authorization: Bearer <token> header is required');
      const match = /^Bearer +(\S+) *$/i.exec(header);
      const token = match?.[1];
      if (token === undefined || token.length > MAX_TOKEN_LENGTH || !BEARER_TOKEN.test(token)) {
        throw unauthorized('the Authorization header must be "Bearer <token>"', 'invalid_request');
      }
      const identity = await lookup(tokenHash(token));
      if (identity === null) throw unauthorized('the token is unknown or its PDV is inactive', 'invalid_token');
      return identity;
    },
  };
}

function equalHex(stored: string, computed: string): boolean {
  const a = Buffer.from(stored.toLowerCase(), 'utf8');
  const b = Buffer.from(computed, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
