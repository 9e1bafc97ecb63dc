import { pdvStoreOf, type PdvStatements } from './pdv-store.js';

const REGISTRY_COLUMNS = 'pdv_id, loja_id, active, label, created_at, token_issued_at, last_seen_at';

export const PDV_SQL_POSTGRES: PdvStatements = {
  findByTokenHash: `SELECT pdv_id, loja_id, active, token_hash FROM sync_pdv WHERE token_hash = $1`,
  listActiveTokens: `SELECT pdv_id, loja_id, token_hash FROM sync_pdv WHERE active = true`,
  lojaExists: `SELECT 1 AS found FROM loja WHERE loja_id = $1`,
  upsert: `INSERT INTO sync_pdv AS target (pdv_id, loja_id, token_hash, active, label, token_issued_at)
VALUES ($1, $2, $3, true, 'PDV_TOKENS', now())
ON CONFLICT (pdv_id) DO UPDATE SET loja_id = EXCLUDED.loja_id, token_hash = EXCLUDED.token_hash, active = true,
    token_issued_at = CASE WHEN target.token_hash = EXCLUDED.token_hash THEN target.token_issued_at ELSE now() END`,
  // FOR UPDATE holds an existing row until the transaction ends; two `pdv add` of one id that is not registered
  // yet both find nothing, and the primary key refuses the second insert (pdv-admin.ts reports it as a duplicate).
  lockById: `SELECT ${REGISTRY_COLUMNS} FROM sync_pdv WHERE pdv_id = $1 FOR UPDATE`,
  listAll: `SELECT ${REGISTRY_COLUMNS} FROM sync_pdv ORDER BY loja_id, pdv_id`,
  insert: `INSERT INTO sync_pdv (pdv_id, loja_id, token_hash, active, label, token_issued_at) VALUES ($1, $2, $3, true, $4, now())`,
  setActive: `UPDATE sync_pdv SET active = $2 WHERE pdv_id = $1`,
  replaceToken: `UPDATE sync_pdv SET token_hash = $2, token_issued_at = now() WHERE pdv_id = $1`,
  moveToLoja: `UPDATE sync_pdv SET loja_id = $2 WHERE pdv_id = $1`,
  // seen_at carries no zone: read it as UTC whatever the session's TimeZone is.
  recordLastSeen: `UPDATE sync_pdv AS p SET last_seen_at = s.seen_at::timestamp AT TIME ZONE 'UTC'
FROM jsonb_to_recordset($1::jsonb) AS s(pdv_id varchar(32), seen_at text)
WHERE p.pdv_id = s.pdv_id AND (p.last_seen_at IS NULL OR p.last_seen_at < s.seen_at::timestamp AT TIME ZONE 'UTC')`,
};

export const POSTGRES_PDV_STORE = pdvStoreOf(PDV_SQL_POSTGRES);
