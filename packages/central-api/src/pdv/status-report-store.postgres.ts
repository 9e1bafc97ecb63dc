import { statusReportStoreOf, type StatusReportStatements } from './status-report-store.js';

export const STATUS_REPORT_SQL_POSTGRES: StatusReportStatements = {
  // received_at carries no zone: read it as UTC whatever the session's TimeZone is. A row stored by a replica
  // that received a later report stays.
  upsert: `INSERT INTO sync_pdv_status AS target (pdv_id, daemon, received_at, report)
SELECT s.pdv_id, s.daemon, s.received_at::timestamp AT TIME ZONE 'UTC', s.report
FROM jsonb_to_recordset($1::jsonb) AS s(pdv_id varchar(32), daemon varchar(16), received_at text, report text)
ON CONFLICT (pdv_id, daemon) DO UPDATE SET received_at = EXCLUDED.received_at, report = EXCLUDED.report
WHERE target.received_at <= EXCLUDED.received_at`,
  readAll: `SELECT pdv_id, daemon, received_at, report FROM sync_pdv_status`,
};

export const POSTGRES_STATUS_REPORT_STORE = statusReportStoreOf(STATUS_REPORT_SQL_POSTGRES);
