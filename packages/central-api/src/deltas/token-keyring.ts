import { PermanentError, type Database } from '@goldpdv/core';
import type { DeltaStore } from './db/delta-store.js';

export interface TokenKey {
  id: number;
  secret: Buffer;
}

/**
 * The HMAC keys of the Sync-Token (sync-token.ts). They live in the central database (sync_token_key, created
 * with a first random key by central/0008), so that every replica behind the load balancer signs and checks
 * with the same keys without any configuration, and a key never passes through an environment variable or a
 * log line. The newest key signs; every key present checks.
 *
 * Rotation: `EXEC dbo.sync_rotate_token_key` (SQL Server) or `SELECT sync_rotate_token_key()` (PostgreSQL)
 * adds a newer key. Replicas start signing with it within the cache time below, and every GET /v1/changes
 * answer re-issues the client's token under the newest key, so once every PDV has pulled again the older keys
 * can be deleted. A token signed by a deleted key is answered 410, and that PDV re-reads its tables: safe, only
 * slower (see the operators guide, "Sync tokens").
 */
export interface TokenKeyring {
  signingKey(): Promise<TokenKey>;
  keyById(id: number): Promise<TokenKey | undefined>;
  /**
   * The keys, oldest first, while those read last are still within their cache time; null when they must be read
   * again (signingKey and keyById then read them). For the answers a change wakes by the thousand, which then
   * need not wait for anything.
   */
  freshKeys(): readonly TokenKey[] | null;
}

export interface TokenKeyringOptions {
  db: Database;
  store: Pick<DeltaStore, 'readTokenKeys'>;
  /** How long the keys read are used before they are read again. */
  ttlMs: number;
}

/** An unknown key id reads the keys again (a replica may just have rotated), at most this often. */
const UNKNOWN_KEY_RELOAD_MS = 1_000;

export function createTokenKeyring(options: TokenKeyringOptions): TokenKeyring {
  let cached: { keys: TokenKey[]; readAt: number } | undefined;
  let loading: Promise<TokenKey[]> | undefined;

  const load = (): Promise<TokenKey[]> => {
    loading ??= (async () => {
      try {
        const rows = await options.store.readTokenKeys(options.db);
        const keys = rows.map((row) => ({ id: row.keyId, secret: Buffer.from(row.secretHex, 'hex') })).sort((a, b) => a.id - b.id);
        if (keys.length === 0 || keys.some((key) => key.secret.length < 16)) {
          throw new PermanentError('sync_token_key holds no usable key: run the central schema scripts (central/0008) or sync_rotate_token_key', {
            context: { keys: keys.length },
          });
        }
        cached = { keys, readAt: Date.now() };
        return keys;
      } finally {
        loading = undefined;
      }
    })();
    return loading;
  };
  const freshKeys = (): TokenKey[] | null => (cached && Date.now() - cached.readAt < options.ttlMs ? cached.keys : null);
  const current = async (): Promise<TokenKey[]> => freshKeys() ?? load();

  return {
    async signingKey() {
      return (await current()).at(-1)!;
    },
    async keyById(id) {
      const found = (await current()).find((key) => key.id === id);
      if (found || (cached && Date.now() - cached.readAt < UNKNOWN_KEY_RELOAD_MS)) return found;
      return (await load()).find((key) => key.id === id);
    },
    freshKeys,
  };
}
