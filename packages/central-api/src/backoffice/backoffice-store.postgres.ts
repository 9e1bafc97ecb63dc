import { quoteIdentifier } from '@goldpdv/core';
import type { BackofficeSql } from './backoffice-store.js';

export const POSTGRES_BACKOFFICE_SQL: BackofficeSql = {
  findClient: `SELECT name, token_hash FROM sync_backoffice_client WHERE token_hash = $1 AND active`,
  insertClient: `INSERT INTO sync_backoffice_client (name, token_hash) VALUES ($1, $2)`,
  setClientActive: `UPDATE sync_backoffice_client SET active = $2 WHERE name = $1`,
  listClients: `SELECT name, active, created_at FROM sync_backoffice_client ORDER BY name`,
  // DO NOTHING waits for a concurrent transaction holding the same key, then finds its row.
  claimRequest: `INSERT INTO sync_backoffice_request (client_name, idempotency_key, operation, body_hash, status, response)
VALUES ($1, $2, $3, $4, 0, '') ON CONFLICT (client_name, idempotency_key) DO NOTHING`,
  readRequest: `SELECT operation, body_hash, status, response FROM sync_backoffice_request WHERE client_name = $1 AND idempotency_key = $2`,
  saveResponse: `UPDATE sync_backoffice_request SET status = $3, response = $4 WHERE client_name = $1 AND idempotency_key = $2`,
  lojaExists: `SELECT 1 AS found FROM loja WHERE loja_id = $1`,
  existingProducts: `SELECT produto_id FROM produto WHERE produto_id IN (SELECT value::integer FROM jsonb_array_elements_text($1::jsonb))`,
  insertDocument: `INSERT INTO estoque_documento (origem, documento_id, loja_id, motivo) VALUES ($1, $2, $3, $4) ON CONFLICT (origem, documento_id) DO NOTHING`,
  insertMovement: `INSERT INTO estoque_movimento (lote_id, origem, origem_id, loja_id, produto_id, quantidade, custo_unitario)
VALUES ($1::uuid, $2, $3, $4, $5, $6::numeric(18,4), $7::numeric(18,4))`,
  applyLote: `SELECT sync_apply_stock_lote($1::uuid) AS moved`,
  catalogColumns: `SELECT column_name, data_type, character_maximum_length AS max_length, numeric_precision, numeric_scale, is_nullable
  FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
  table: (name) => quoteIdentifier('postgres', name),
  column: (name) => quoteIdentifier('postgres', name),
  placeholder: (n) => `$${n}`,
};
