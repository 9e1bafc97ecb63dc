import { quoteIdentifier } from '@goldpdv/core';
import type { BackofficeSql } from './backoffice-store.js';

export const MSSQL_BACKOFFICE_SQL: BackofficeSql = {
  findClient: `SELECT name, token_hash FROM dbo.sync_backoffice_client WHERE token_hash = CAST(@p1 AS char(64)) AND active = 1`,
  insertClient: `INSERT INTO dbo.sync_backoffice_client (name, token_hash) VALUES (@p1, @p2)`,
  setClientActive: `UPDATE dbo.sync_backoffice_client SET active = @p2 WHERE name = CAST(@p1 AS varchar(64))`,
  listClients: `SELECT name, active, created_at FROM dbo.sync_backoffice_client ORDER BY name`,
  // UPDLOCK, HOLDLOCK: a concurrent request under the same key waits here for the first one's transaction.
  claimRequest: `INSERT INTO dbo.sync_backoffice_request (client_name, idempotency_key, operation, body_hash, status, response)
SELECT @p1, @p2, @p3, @p4, 0, N''
 WHERE NOT EXISTS (SELECT 1 FROM dbo.sync_backoffice_request WITH (UPDLOCK, HOLDLOCK)
                    WHERE client_name = CAST(@p1 AS varchar(64)) AND idempotency_key = CAST(@p2 AS varchar(128)))`,
  readRequest: `SELECT operation, body_hash, status, response FROM dbo.sync_backoffice_request
 WHERE client_name = CAST(@p1 AS varchar(64)) AND idempotency_key = CAST(@p2 AS varchar(128))`,
  saveResponse: `UPDATE dbo.sync_backoffice_request SET status = @p3, response = @p4
 WHERE client_name = CAST(@p1 AS varchar(64)) AND idempotency_key = CAST(@p2 AS varchar(128))`,
  lojaExists: `SELECT 1 AS found FROM dbo.loja WHERE loja_id = @p1`,
  existingProducts: `SELECT p.produto_id FROM dbo.produto AS p WHERE p.produto_id IN (SELECT CONVERT(int, j.value) FROM OPENJSON(@p1) AS j)`,
  insertDocument: `INSERT INTO dbo.estoque_documento (origem, documento_id, loja_id, motivo)
SELECT @p1, @p2, @p3, @p4
 WHERE NOT EXISTS (SELECT 1 FROM dbo.estoque_documento WITH (UPDLOCK, HOLDLOCK)
                    WHERE origem = CAST(@p1 AS varchar(16)) AND documento_id = CAST(@p2 AS varchar(64)))`,
  insertMovement: `INSERT INTO dbo.estoque_movimento (lote_id, origem, origem_id, loja_id, produto_id, quantidade, custo_unitario)
VALUES (@p1, @p2, @p3, @p4, @p5, CONVERT(decimal(18,4), @p6), CONVERT(decimal(18,4), @p7))`,
  applyLote: `EXEC dbo.sync_apply_stock_lote @lote_id = @p1`,
  catalogColumns: `SELECT COLUMN_NAME AS column_name, DATA_TYPE AS data_type, CHARACTER_MAXIMUM_LENGTH AS max_length,
       NUMERIC_PRECISION AS numeric_precision, NUMERIC_SCALE AS numeric_scale, IS_NULLABLE AS is_nullable
  FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = N'dbo' AND TABLE_NAME = @p1 ORDER BY ORDINAL_POSITION`,
  table: (name) => `dbo.${quoteIdentifier('mssql', name)}`,
  column: (name) => quoteIdentifier('mssql', name),
  placeholder: (n) => `@p${n}`,
};
