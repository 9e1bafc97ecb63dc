import type { PdvStatements } from './pdv-sql.js';

export const PDV_SQL_POSTGRES: PdvStatements = {
  findByTokenHash: `SELECT pdv_id, loja_id, active, token_hash FROM sync_pdv WHERE token_hash = $1`,
  lojaExists: `SELECT 1 AS found FROM loja WHERE loja_id = $1`,
  upsert: `INSERT INTO sync_pdv (pdv_id, loja_id, token_hash, active, label)
VALUES ($1, $2, $3, true, 'PDV_TOKENS')
ON CONFLICT (pdv_id) DO UPDATE SET loja_id = EXCLUDED.loja_id, token_hash = EXCLUDED.token_hash, active = true`,
};
