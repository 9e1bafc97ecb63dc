import type { FiguresQuery } from './reconciliation-store.js';

/**
 * $1 pdv id, $2 event types, $3 first day, $4 last day. The field names are written into the text as string
 * literals: they match FIGURE_FIELD (letters, digits, underscore), which no quote or backslash can pass.
 * received_at bounds the rows read through ix_sync_inbox_pdv_received: an event of a day cannot arrive before the
 * day before it (a day of margin for a PDV clock that runs ahead).
 */
export function figuresSql(query: FiguresQuery): string {
  const field = (name: string) => `sync_json_or_null(i.payload) ->> '${name}'`;
  const day = `left(${field(query.dayField)}, 10)`;
  const total = field(query.totalField);
  return `SELECT i.event_type, ${day} AS day, ${field(query.sessionField)} AS session, COUNT(*) AS events,
  SUM(CASE WHEN ${total} ~ '^-?[0-9]+(\\.[0-9]+)?$' THEN (${total})::numeric END)::text AS total
FROM sync_inbox AS i
WHERE i.pdv_id = $1 AND i.event_type = ANY ($2::varchar[])
  AND i.received_at >= $3::date - 1
  AND ${day} BETWEEN $3::text AND $4::text
GROUP BY i.event_type, ${day}, ${field(query.sessionField)}
ORDER BY 2, 3, 1`;
}
