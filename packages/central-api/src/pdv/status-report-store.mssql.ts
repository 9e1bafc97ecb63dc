import { statusReportStoreOf, type StatusReportStatements } from './status-report-store.js';

export const STATUS_REPORT_SQL_MSSQL: StatusReportStatements = {
  // HOLDLOCK: two replicas flushing the same PDV together must not both take the NOT MATCHED branch (a key
  // violation). The JSON columns carry the table's types (varchar against the varchar key: an index seek).
  upsert: `MERGE dbo.sync_pdv_status WITH (HOLDLOCK) AS target
USING (
    SELECT s.pdv_id, s.daemon, s.received_at, s.report
    FROM OPENJSON(@p1) WITH (pdv_id varchar(32) '$.pdv_id', daemon varchar(16) '$.daemon', received_at datetime2(3) '$.received_at', report nvarchar(max) '$.report') AS s
) AS source
ON target.pdv_id = source.pdv_id AND target.daemon = source.daemon
WHEN MATCHED AND target.received_at <= source.received_at THEN
    UPDATE SET received_at = source.received_at, report = source.report
WHEN NOT MATCHED THEN
    INSERT (pdv_id, daemon, received_at, report) VALUES (source.pdv_id, source.daemon, source.received_at, source.report);`,
  readAll: `SELECT pdv_id, daemon, received_at, report FROM dbo.sync_pdv_status`,
};

export const MSSQL_STATUS_REPORT_STORE = statusReportStoreOf(STATUS_REPORT_SQL_MSSQL);
