import { columnOf, type EventModel } from '../declaration/events-model.js';
import type { ColumnRef } from '../declaration/declaration-schema.js';
import type { SqlText } from '../generate/sql-text.js';
import type { ColumnCatalog } from './column-catalog.js';
import { columnValue, type ValueKind } from './column-value.js';

export interface FieldPlan {
  name: string;
  kind: ValueKind;
}

/**
 * The statements that read one event type's payloads for a set of aggregates, made from the declaration and
 * the local catalog's column types. Each takes the keys as its one parameter (see SqlText.keysRelation) and
 * returns rows tagged with the caller's position `sync_ord`; fields come back as f0, f1... in payload order, so
 * that no declared name ever becomes a column alias.
 */
export interface PayloadStatements {
  event: EventModel;
  /** One row per aggregate that still exists: its stream value (sync_stream) and its fields. */
  parent: string;
  fields: readonly FieldPlan[];
  /** The kind of the stream column, or null for a stream without a column. */
  streamKind: ValueKind | null;
  /**
   * The fields that read the source table's status column. They carry the status the event fired for, not the
   * one the row has when the payload is built: a cancellation built after the sale was finalised again still
   * says CANCELADA.
   */
  statusFields: readonly number[];
  /** One statement per embedded collection: its rows in array order, per aggregate. */
  children: readonly { field: string; sql: string; fields: readonly FieldPlan[] }[];
}

export function payloadStatements(event: EventModel, catalog: ColumnCatalog, text: SqlText): PayloadStatements {
  const source = event.source;
  const aliasOf = (lookup: string | null) => (lookup === null ? 's' : `l${event.lookups.findIndex((l) => l.name === lookup)}`);
  const tableOf = (lookup: string | null) => (lookup === null ? source.table : event.lookups.find((l) => l.name === lookup)!.table);
  const render = (ref: ColumnRef) => {
    const { lookup, column } = columnOf(ref);
    const type = catalog.typeOf(tableOf(lookup), column);
    const value = type === undefined ? null : columnValue(text.dialect, type, text.column(aliasOf(lookup), column));
    // catalogProblems() refuses a declaration with such a column before any statement is made.
    if (value === null) throw new Error(`no rendering for ${event.type} column ${column}`);
    return value;
  };
  const fromKeys = `FROM ${text.keysRelation(source.key)}
JOIN ${text.table(source.table)} AS s ON ${source.key.map((k, i) => `${text.column('s', k.column)} = k.k${i}`).join(' AND ')}`;

  const fields = event.fields.map((field) => ({ name: field.name, value: render(field.column) }));
  const stream = event.stream.column === null ? null : render(event.stream.column);
  const lookups = event.lookups
    .map((lookup, i) => `LEFT JOIN ${text.table(lookup.table)} AS l${i} ON ${lookup.join.map(([theirs, ours]) => `${text.column(`l${i}`, theirs)} = ${text.column('s', ours)}`).join(' AND ')}`)
    .join('\n');
  const parent = `SELECT k.o AS sync_ord, ${stream === null ? 'NULL' : stream.sql} AS sync_stream${fields.map((f, i) => `,\n  ${f.value.sql} AS f${i}`).join('')}
${fromKeys}${lookups === '' ? '' : `\n${lookups}`}`;

  const children = event.children.map((child) => {
    const values = child.fields.map((field) => {
      const type = catalog.typeOf(child.table, field.column);
      const value = type === undefined ? null : columnValue(text.dialect, type, text.column('c', field.column));
      if (value === null) throw new Error(`no rendering for ${event.type} child column ${field.column}`);
      return { name: field.name, value };
    });
    const sql = `SELECT k.o AS sync_ord${values.map((f, i) => `,\n  ${f.value.sql} AS f${i}`).join('')}
${fromKeys}
JOIN ${text.table(child.table)} AS c ON ${child.join.map(([theirs, ours]) => `${text.column('c', theirs)} = ${text.column('s', ours)}`).join(' AND ')}
ORDER BY k.o, ${child.orderBy.map((column) => text.column('c', column)).join(', ')}`;
    return { field: child.field, sql: text.dialect === 'mssql' ? `${sql};` : sql, fields: values.map((f) => ({ name: f.name, kind: f.value.kind })) };
  });

  return {
    event,
    parent: text.dialect === 'mssql' ? `${parent};` : parent,
    fields: fields.map((f) => ({ name: f.name, kind: f.value.kind })),
    streamKind: stream?.kind ?? null,
    statusFields: event.fields.flatMap((field, i) => {
      const { lookup, column } = columnOf(field.column);
      const status = event.firing.kind === 'status' ? event.firing.column : null;
      const same = text.dialect === 'mssql' ? column.toLowerCase() === status?.toLowerCase() : column === status;
      return lookup === null && same ? [i] : [];
    }),
    children,
  };
}
