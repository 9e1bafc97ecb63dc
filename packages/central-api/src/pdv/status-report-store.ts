import type { Queryable } from '@goldpdv/core';

/** One daemon's latest report as central keeps it: the validated report, as JSON, and when it arrived. */
export interface StoredStatusReport {
  pdvId: string;
  daemon: string;
  receivedAt: Date;
  /** The report as validated (JSON text of a PdvStatusReport). */
  report: string;
}

/** The statements of sync_pdv_status (central/0012) in one dialect. */
export interface StatusReportStatements {
  /**
   * (JSON array of {"pdv_id", "daemon", "received_at", "report"}, received_at as UTC "YYYY-MM-DDTHH:MM:SS.mmm"):
   * inserts or replaces each row, unless the stored one arrived later (another replica).
   */
  upsert: string;
  /** () -> pdv_id, daemon, received_at, report */
  readAll: string;
}

/** Rows per upsert statement: a JSON parameter of a few hundred kB at most. */
export const STATUS_REPORT_CHUNK = 500;

export interface StatusReportStore {
  /** One statement per STATUS_REPORT_CHUNK reports. */
  upsert(db: Queryable, reports: readonly StoredStatusReport[]): Promise<number>;
  readAll(db: Queryable): Promise<StoredStatusReport[]>;
}

interface ReportRow {
  pdv_id: string;
  daemon: string;
  received_at: Date | string;
  report: string;
}

export function statusReportStoreOf(sql: StatusReportStatements): StatusReportStore {
  return {
    async upsert(db, reports) {
      let statements = 0;
      for (let start = 0; start < reports.length; start += STATUS_REPORT_CHUNK) {
        const rows = reports.slice(start, start + STATUS_REPORT_CHUNK).map((entry) => ({
          pdv_id: entry.pdvId,
          daemon: entry.daemon,
          // Without a zone designator: datetime2 (SQL Server) reads it as is, and both columns hold UTC.
          received_at: entry.receivedAt.toISOString().slice(0, 23),
          report: entry.report,
        }));
        await db.query(sql.upsert, [JSON.stringify(rows)]);
        statements += 1;
      }
      return statements;
    },
    async readAll(db) {
      const { rows } = await db.query<ReportRow>(sql.readAll);
      return rows.map((row) => ({
        pdvId: row.pdv_id,
        daemon: row.daemon,
        receivedAt: row.received_at instanceof Date ? row.received_at : new Date(row.received_at),
        report: row.report,
      }));
    },
  };
}
