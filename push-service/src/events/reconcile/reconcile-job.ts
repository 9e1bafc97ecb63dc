import { centralSalesFigures, reconcileFigures, type Database, type DialectName, type HttpClient, type Reconciliation, type SalesFigure } from '@goldpdv/core';
import type { ReconciliationModel } from '../declaration/events-model.js';
import { SQL_TEXT } from '../generate/sql-text.js';
import type { ColumnCatalog } from '../payload/column-catalog.js';
import { fetchCentralFigures } from './central-figures.js';
import { localFiguresSql } from './local-figures-sql.js';
import * as mssql from './reconciliation-sql.mssql.js';
import * as postgres from './reconciliation-sql.postgres.js';

const STATEMENTS: Record<DialectName, Record<keyof typeof mssql, string>> = { mssql, postgres };

export interface ReconcileResult {
  from: string;
  to: string;
  reconciliation: Reconciliation;
  /** Why the central API's figures are missing, when they are. */
  centralError: string | null;
}

/**
 * Compares this PDV's sales with the central API's for the last few days and records both in
 * sync_reconciliation, which `status` shows. The PDV's side comes from the declared source table as it stands
 * (localFiguresSql), the central side from GET /v1/reconciliation; the comparison is core's reconcileFigures.
 * Events still in the outbox make a difference that goes away once they are sent.
 */
export class ReconcileJob {
  private readonly localSql: string;

  constructor(
    private readonly db: Database,
    private readonly reconciliation: ReconciliationModel,
    catalog: ColumnCatalog,
    private readonly central: { http: HttpClient; baseUrl: string; token: string },
  ) {
    this.localSql = localFiguresSql(reconciliation, catalog, SQL_TEXT[db.dialect]);
  }

  /** The last `days` days up to today (the database's today), or the days given. */
  async run(range: { days: number } | { from: string; to: string }): Promise<ReconcileResult> {
    const sql = STATEMENTS[this.db.dialect];
    let days: { from: string; to: string };
    if ('from' in range) days = range;
    else {
      const today = (await this.db.query<{ today: string }>(sql.today)).rows[0]!.today;
      days = { from: shiftDay(today, 1 - range.days), to: today };
    }
    const { rows } = await this.db.query<{ day: string; session: string | null; sales: unknown; total: string | null }>(this.localSql, [days.from, days.to]);
    const local: SalesFigure[] = rows.map((row) => ({ day: String(row.day), session: row.session ?? '', sales: Number(row.sales), total: row.total ?? '0' }));
    let central: SalesFigure[] | null = null;
    let centralError: string | null = null;
    try {
      const events = await fetchCentralFigures(this.central.http, this.central, this.reconciliation, days);
      central = centralSalesFigures(events, this.reconciliation.event.type, this.reconciliation.minus.map((e) => e.type));
    } catch (error) {
      centralError = (error as Error).message.slice(0, 400);
    }
    const reconciliation = reconcileFigures(local, central);
    await this.db.transaction(async (tx) => {
      await tx.query(sql.deleteDays, [days.from, days.to]);
      if (reconciliation.sessions.length === 0) return;
      const records = reconciliation.sessions.map((row) => ({
        day: row.day,
        session: row.session ?? '',
        localSales: row.local.sales,
        localTotal: row.local.total,
        centralSales: row.central?.sales ?? null,
        centralTotal: row.central?.total ?? null,
        centralError,
      }));
      await tx.query(sql.insertDays, [JSON.stringify(records)]);
    });
    return { ...days, reconciliation, centralError };
  }
}

/** yyyy-mm-dd moved by `days` (negative: back). */
export function shiftDay(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
