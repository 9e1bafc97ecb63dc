/**
 * The columns of the declared tables (PostgreSQL). $1: JSON [{"schema": "vendas" | null, "name": "Venda"}]; a
 * null schema is the first schema of search_path, as an unqualified name in SQL would be (for a table that
 * exists there). Names compare exactly, as quoted names do.
 */
export const declaredColumns = `SELECT t.ord, c.column_name, c.data_type
FROM json_to_recordset($1::json) AS t (ord integer, schema text, name text)
JOIN information_schema.columns AS c
  ON c.table_name = t.name AND c.table_schema = COALESCE(t.schema, current_schema())
ORDER BY t.ord, c.ordinal_position`;
