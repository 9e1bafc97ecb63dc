/** SQL Server statements of the reconciliation records (sync_reconciliation, read by the status view). */

/** Today on the PDV database's clock: the days of the sales columns are its local days. */
export const today = `SELECT CONVERT(varchar(10), CAST(SYSDATETIME() AS date), 23) AS today;`;

/** The figures of the days @p1..@p2 (inclusive) go, before insertDays writes them again, in one transaction. */
export const deleteDays = `DELETE FROM dbo.sync_reconciliation WHERE day BETWEEN CAST(@p1 AS date) AND CAST(@p2 AS date);`;

export const insertDays = `INSERT INTO dbo.sync_reconciliation (day, session_key, local_sales, local_total, central_sales, central_total, central_error)
SELECT r.day, r.session_key, r.local_sales, r.local_total, r.central_sales, r.central_total, r.central_error
FROM OPENJSON(@p1) WITH (day date '$.day', session_key nvarchar(128) '$.session', local_sales bigint '$.localSales',
  local_total decimal(38,10) '$.localTotal', central_sales bigint '$.centralSales', central_total decimal(38,10) '$.centralTotal',
  central_error nvarchar(400) '$.centralError') AS r;`;
