import type { Queryable } from '@goldpdv/core';
import type { TokenKeyRow } from './delta-store.js';

/** The Sync-Token keys (central/0008_pull_proofs.sql), secrets as hex text. */
export const TOKEN_KEYS_SQL = `
SELECT k.key_id, k.secret_hex
  FROM dbo.sync_token_key AS k
 ORDER BY k.key_id;`;

export async function readTokenKeysMssql(db: Queryable): Promise<TokenKeyRow[]> {
  const rows = (await db.query<{ key_id: number; secret_hex: string }>(TOKEN_KEYS_SQL)).rows;
  return rows.map((row) => ({ keyId: Number(row.key_id), secretHex: row.secret_hex }));
}
