import type { FiguresQuery } from './reconciliation-store.js';

/**
 * @p1 pdv id, @p2 event types (JSON array), @p3 first day, @p4 last day; see the PostgreSQL twin. JSON_VALUE
 * takes its path as a literal here (a variable path needs SQL Server 2017); the field names match FIGURE_FIELD.
 * CASE WHEN ISJSON(...) guards each read, since SQL Server may evaluate a WHERE's conditions in any order.
 */
export function figuresSql(query: FiguresQuery): string {
  const field = (name: string) => `CASE WHEN ISJSON(i.payload) = 1 THEN JSON_VALUE(i.payload, N'$."${name}"') END`;
  const day = `LEFT(${field(query.dayField)}, 10)`;
  return `SELECT i.event_type, ${day} AS day, ${field(query.sessionField)} AS session, COUNT_BIG(*) AS events,
  CONVERT(varchar(60), SUM(TRY_CAST(${field(query.totalField)} AS decimal(38,10)))) AS total
FROM dbo.sync_inbox AS i
WHERE i.pdv_id = CAST(@p1 AS varchar(32))
  AND i.event_type IN (SELECT CAST(t.[value] AS varchar(64)) FROM OPENJSON(@p2) AS t)
  AND i.received_at >= DATEADD(day, -1, CAST(@p3 AS date))
  AND ${day} BETWEEN CAST(@p3 AS varchar(10)) AND CAST(@p4 AS varchar(10))
GROUP BY i.event_type, ${day}, ${field(query.sessionField)}
ORDER BY day, session, i.event_type;`;
}
