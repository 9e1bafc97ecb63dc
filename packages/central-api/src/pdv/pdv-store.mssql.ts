import { pdvStoreOf, type PdvStatements } from './pdv-store.js';

const REGISTRY_COLUMNS = 'pdv_id, loja_id, active, label, created_at, token_issued_at, last_seen_at';

export const PDV_SQL_MSSQL: PdvStatements = {
  // The columns are varchar/char and mssql binds strings as nvarchar: each string parameter is cast to its column's
  // type, or SQL Server would convert the column instead (no index seek).
  findByTokenHash: `SELECT pdv_id, loja_id, active, token_hash FROM dbo.sync_pdv WHERE token_hash = CAST(@p1 AS char(64))`,
  listActiveTokens: `SELECT pdv_id, loja_id, token_hash FROM dbo.sync_pdv WHERE active = CAST(1 AS bit)`,
  lojaExists: `SELECT 1 AS found FROM dbo.loja WHERE loja_id = @p1`,
  // HOLDLOCK: two replicas starting together must not both take the NOT MATCHED branch.
  upsert: `MERGE dbo.sync_pdv WITH (HOLDLOCK) AS target
USING (SELECT CAST(@p1 AS varchar(32)) AS pdv_id, @p2 AS loja_id, CAST(@p3 AS char(64)) AS token_hash) AS source
ON target.pdv_id = source.pdv_id
WHEN MATCHED THEN UPDATE SET loja_id = source.loja_id, token_hash = source.token_hash, active = 1,
    token_issued_at = CASE WHEN target.token_hash = source.token_hash THEN target.token_issued_at ELSE SYSUTCDATETIME() END
WHEN NOT MATCHED THEN INSERT (pdv_id, loja_id, token_hash, active, label, token_issued_at)
VALUES (source.pdv_id, source.loja_id, source.token_hash, 1, N'PDV_TOKENS', SYSUTCDATETIME());`,
  // UPDLOCK, HOLDLOCK: the row (or, for an id not registered yet, its key range) stays locked until the
  // transaction ends, so two `pdv add` of one id cannot both find it free.
  lockById: `SELECT ${REGISTRY_COLUMNS} FROM dbo.sync_pdv WITH (UPDLOCK, HOLDLOCK) WHERE pdv_id = CAST(@p1 AS varchar(32))`,
  listAll: `SELECT ${REGISTRY_COLUMNS} FROM dbo.sync_pdv ORDER BY loja_id, pdv_id`,
  insert: `INSERT INTO dbo.sync_pdv (pdv_id, loja_id, token_hash, active, label, token_issued_at)
VALUES (CAST(@p1 AS varchar(32)), @p2, CAST(@p3 AS char(64)), 1, @p4, SYSUTCDATETIME())`,
  setActive: `UPDATE dbo.sync_pdv SET active = CAST(@p2 AS bit) WHERE pdv_id = CAST(@p1 AS varchar(32))`,
  replaceToken: `UPDATE dbo.sync_pdv SET token_hash = CAST(@p2 AS char(64)), token_issued_at = SYSUTCDATETIME()
WHERE pdv_id = CAST(@p1 AS varchar(32))`,
  moveToLoja: `UPDATE dbo.sync_pdv SET loja_id = @p2 WHERE pdv_id = CAST(@p1 AS varchar(32))`,
  // The JSON columns are declared with the table's types (varchar(32) against the varchar key: an index seek).
  recordLastSeen: `UPDATE p SET last_seen_at = s.seen_at
FROM dbo.sync_pdv AS p
JOIN OPENJSON(@p1) WITH (pdv_id varchar(32) '$.pdv_id', seen_at datetime2(3) '$.seen_at') AS s ON p.pdv_id = s.pdv_id
WHERE p.last_seen_at IS NULL OR p.last_seen_at < s.seen_at`,
};

export const MSSQL_PDV_STORE = pdvStoreOf(PDV_SQL_MSSQL);
