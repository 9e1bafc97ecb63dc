import type { DialectName, EventFigure, Queryable } from '@goldpdv/core';
import { figuresSql as mssqlFiguresSql } from './reconciliation-store.mssql.js';
import { figuresSql as postgresFiguresSql } from './reconciliation-store.postgres.js';

/** What a reconciliation request asks about; every name was checked against FIGURE_FIELD before it got here. */
export interface FiguresQuery {
  pdvId: string;
  from: string;
  to: string;
  types: readonly string[];
  dayField: string;
  sessionField: string;
  totalField: string;
}

/** A payload field name as the reconciliation accepts it: safe inside a JSON path or a string literal. */
export const FIGURE_FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * One PDV's sale events in the inbox, per event type, day and session, with the sum of the total field. The
 * day and session are the payload's own text (the first 10 characters of the day field), so that they group
 * as the PDV's own figures do. A payload that is not JSON, or a total that is not a decimal, counts as an event
 * with no total rather than failing the request.
 */
export interface ReconciliationStore {
  figures(db: Queryable, query: FiguresQuery): Promise<EventFigure[]>;
}

const SQL: Record<DialectName, (query: FiguresQuery) => string> = { mssql: mssqlFiguresSql, postgres: postgresFiguresSql };

/** The store of the database's dialect, chosen once when the routes are made. */
export function reconciliationStoreFor(dialect: DialectName): ReconciliationStore {
  const sql = SQL[dialect];
  return {
    async figures(db, query) {
      const params = dialect === 'mssql' ? [query.pdvId, JSON.stringify(query.types), query.from, query.to] : [query.pdvId, query.types, query.from, query.to];
      const { rows } = await db.query<{ event_type: string; day: string | null; session: string | null; events: unknown; total: string | null }>(sql(query), params);
      return rows.map((row) => ({ eventType: row.event_type, day: row.day ?? '', session: row.session ?? '', events: Number(row.events), total: row.total ?? '0' }));
    },
  };
}
