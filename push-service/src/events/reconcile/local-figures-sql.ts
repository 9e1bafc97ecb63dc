import { columnOf, type ReconciliationModel } from '../declaration/events-model.js';
import type { ColumnRef } from '../declaration/declaration-schema.js';
import { inValues, type SqlText } from '../generate/sql-text.js';
import type { ColumnCatalog } from '../payload/column-catalog.js';
import { columnValue } from '../payload/column-value.js';

/**
 * The PDV's own sales per day and session, from the declared source table: the rows of the reconciliation
 * event's table whose status is one of its `to` values now, grouped by the day and session columns behind the
 * payload's `day` and `session` fields, with the count and the sum of the `total` column. The session is written
 * as the payload writes it (a lowercase uuid, a number's digits), the day as yyyy-mm-dd: the central API
 * groups the payloads' own text the same way. Params: the first and the last day, inclusive. It never waits
 * for a sale (SqlText.skipLocked): on SQL Server a row a POS transaction holds right now is left out of this
 * count, which the next comparison corrects.
 */
export function localFiguresSql(reconciliation: ReconciliationModel, catalog: ColumnCatalog, text: SqlText): string {
  const event = reconciliation.event;
  const field = (name: string): ColumnRef => event.fields.find((f) => f.name === name)!.column;
  const aliasOf = (lookup: string | null) => (lookup === null ? 's' : `l${event.lookups.findIndex((l) => l.name === lookup)}`);
  const tableOf = (lookup: string | null) => (lookup === null ? event.source.table : event.lookups.find((l) => l.name === lookup)!.table);
  const expression = (ref: ColumnRef) => {
    const { lookup, column } = columnOf(ref);
    return { sql: text.column(aliasOf(lookup), column), type: catalog.typeOf(tableOf(lookup), column) ?? '' };
  };
  const dayColumn = expression(field(reconciliation.dayField)).sql;
  const session = expression(field(reconciliation.sessionField));
  const sessionText = columnValue(text.dialect, session.type, session.sql)?.sql ?? session.sql;
  const total = expression(field(reconciliation.totalField)).sql;
  const firing = event.firing;
  const statusFilter = firing.kind === 'status' ? inValues(text, text.statusText('s', firing.column), firing.to) : '1 = 1';
  const lookups = event.lookups
    .map((lookup, i) => `LEFT JOIN ${text.table(lookup.table)} AS l${i}${text.skipLocked} ON ${lookup.join.map(([theirs, ours]) => `${text.column(`l${i}`, theirs)} = ${text.column('s', ours)}`).join(' AND ')}`)
    .map((join) => `\n${join}`)
    .join('');
  if (text.dialect === 'mssql') {
    const day = `CONVERT(varchar(10), ${dayColumn}, 23)`;
    return `SELECT ${day} AS day, ${sessionText} AS session, COUNT_BIG(*) AS sales, CONVERT(varchar(60), SUM(CONVERT(decimal(38,10), ${total}))) AS total
FROM ${text.table(event.source.table)} AS s${text.skipLocked}${lookups}
WHERE ${statusFilter}
  AND ${dayColumn} >= CAST(@p1 AS date) AND ${dayColumn} < DATEADD(day, 1, CAST(@p2 AS date))
GROUP BY ${day}, ${sessionText};`;
  }
  const day = `to_char(${dayColumn}, 'YYYY-MM-DD')`;
  return `SELECT ${day} AS day, ${sessionText} AS session, COUNT(*) AS sales, SUM(${total}::numeric)::text AS total
FROM ${text.table(event.source.table)} AS s${lookups}
WHERE ${statusFilter}
  AND ${dayColumn} >= $1::date AND ${dayColumn} < $2::date + 1
GROUP BY ${day}, ${sessionText}`;
}
