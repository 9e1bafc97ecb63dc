import type { PdvStatements } from './pdv-sql.js';

export const PDV_SQL_MSSQL: PdvStatements = {
  findByTokenHash: `SELECT pdv_id, loja_id, active, token_hash FROM dbo.sync_pdv WHERE token_hash = @p1`,
  lojaExists: `SELECT 1 AS found FROM dbo.loja WHERE loja_id = @p1`,
  // HOLDLOCK: two replicas starting together must not both take the NOT MATCHED branch.
  upsert: `MERGE dbo.sync_pdv WITH (HOLDLOCK) AS target
USING (SELECT @p1 AS pdv_id, @p2 AS loja_id, @p3 AS token_hash) AS source
ON target.pdv_id = source.pdv_id
WHEN MATCHED THEN UPDATE SET loja_id = source.loja_id, token_hash = source.token_hash, active = 1
WHEN NOT MATCHED THEN INSERT (pdv_id, loja_id, token_hash, active, label)
VALUES (source.pdv_id, source.loja_id, source.token_hash, 1, N'PDV_TOKENS');`,
};
