/** PostgreSQL statements of the reconciliation records; the twins of reconciliation-sql.mssql.ts. */

export const today = `SELECT to_char(current_date, 'YYYY-MM-DD') AS today`;

export const deleteDays = `DELETE FROM sync_reconciliation WHERE day BETWEEN $1::date AND $2::date`;

export const insertDays = `INSERT INTO sync_reconciliation (day, session_key, local_sales, local_total, central_sales, central_total, central_error)
SELECT r.day, r.session, r."localSales", r."localTotal", r."centralSales", r."centralTotal", r."centralError"
FROM json_to_recordset($1::json) AS r (day date, session varchar, "localSales" bigint, "localTotal" numeric, "centralSales" bigint,
  "centralTotal" numeric, "centralError" varchar)`;
