/**
 * The columns of the declared tables (SQL Server). @p1: JSON [{"schema": "vendas" | null, "name": "Venda"}]; a
 * null schema is the caller's default schema, as an unqualified name in SQL would be. Names compare under the
 * database's collation, as SQL Server itself resolves them (case-insensitive under the usual collations).
 */
export const declaredColumns = `SELECT t.ord, c.COLUMN_NAME AS column_name, c.DATA_TYPE AS data_type
FROM OPENJSON(@p1) WITH (ord int '$.ord', table_schema nvarchar(128) '$.schema', table_name nvarchar(128) '$.name') AS t
JOIN INFORMATION_SCHEMA.COLUMNS AS c
  ON c.TABLE_NAME = t.table_name AND c.TABLE_SCHEMA = ISNULL(t.table_schema, SCHEMA_NAME())
ORDER BY t.ord, c.ORDINAL_POSITION;`;
