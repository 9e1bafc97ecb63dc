import { z } from 'zod';
import { EVENT_TYPE_PATTERN, identifierProblem } from '@goldpdv/core';

/**
 * The events declaration (PUSH_EVENTS_FILE): which business events this PDV's tables produce, and what each
 * event's payload holds. Table and column names are taken as written, in any case and any schema: they are
 * quoted in SQL (core's quoteIdentifier), never trusted as SQL text. Only names that no catalog can hold (empty,
 * over 128 characters, a control character) are refused.
 */

const sqlName = z
  .string({ message: 'expected a name in quotes' })
  .refine((name) => identifierProblem(name) === null, { message: 'expected a table or column name (1 to 128 characters, no control characters)' });

/** A payload's field name: a plain identifier, so that JSON readers and the central handlers can name it. */
export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const fieldName = z.string({ message: 'expected a field name in quotes' }).regex(FIELD_NAME, {
  message: 'expected a field name (a letter or underscore, then letters, digits or underscores, at most 64)',
});

const tableRef = z.strictObject({
  /** Omitted: the connection's default schema (dbo on SQL Server, the first of search_path on PostgreSQL). */
  schema: sqlName.optional(),
  name: sqlName,
});

/** The key types a trigger can capture without any conversion that could fail inside the sale. */
export const KEY_TYPES = ['int', 'bigint', 'uniqueidentifier'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

const keyColumn = z.strictObject({
  column: sqlName,
  type: z.enum(KEY_TYPES, { message: `expected one of ${KEY_TYPES.join(', ')}` }),
});

/** A column of the source table ("Total"), or of one of the event's lookups ({"lookup": "sessao", "column": "LojaId"}). */
const columnRef = z.union([sqlName, z.strictObject({ lookup: fieldName, column: sqlName })], {
  message: 'expected a column name, or {"lookup": "<lookup name>", "column": "<column>"}',
});

/** Status values are compared as text: an int status 2 and the string "2" are the same value. */
const statusValue = z.union([z.string().min(1).max(100), z.number().int()], { message: 'expected a status value (a string or a whole number)' });
const statusValues = z.array(statusValue, { message: 'expected a list of status values' }).min(1, { message: 'expected at least one status value' });

const firesOnInsert = z.strictObject({ insert: z.literal(true, { message: 'expected true' }) });
const firesOnStatus = z.strictObject({
  /** The status column of the source table. */
  column: sqlName,
  /** The event fires when the column moves to one of these values (or a row is inserted with one). */
  to: statusValues,
  /** Only when it moves from one of these (a cancellation only of a finalised sale, say). */
  from: statusValues.optional(),
});
const fires = z.union([firesOnInsert, firesOnStatus], {
  message: 'expected {"insert": true} or {"column": "<status column>", "to": [values], "from"?: [values]}',
});

/** A parent row joined to every source row, whose columns the payload and the stream key may use. */
const lookup = z.strictObject({
  name: fieldName,
  table: tableRef,
  /** Lookup column -> source column, e.g. {"CaixaSessaoId": "CaixaSessaoId"}. */
  join: z.record(sqlName, sqlName).refine((join) => Object.keys(join).length > 0, { message: 'expected at least one column pair' }),
});

/** Rows of a child table embedded as an array of objects, e.g. a sale's items. */
const child = z.strictObject({
  field: fieldName,
  table: tableRef,
  /** Child column -> source column, e.g. {"VendaId": "VendaId"}. */
  join: z.record(sqlName, sqlName).refine((join) => Object.keys(join).length > 0, { message: 'expected at least one column pair' }),
  /** The order of the array; the child's key columns, typically. */
  orderBy: z.array(sqlName).min(1, { message: 'expected at least one column' }),
  fields: z.record(fieldName, sqlName).refine((fields) => Object.keys(fields).length > 0, { message: 'expected at least one field' }),
});

const stream = z.strictObject({
  /** Text before the column's value, e.g. "caixa:". */
  prefix: z.string().max(64).default(''),
  /** The column whose value names the stream; omitted: every event of this type is in the one stream `prefix`. */
  column: columnRef.optional(),
});

const eventDeclaration = z.strictObject({
  type: z.string().max(64).regex(EVENT_TYPE_PATTERN, { message: 'expected an event type such as "venda.finalizada" (lowercase words separated by dots)' }),
  source: z.strictObject({
    table: tableRef,
    key: z.array(keyColumn).min(1, { message: 'expected at least one key column' }).max(4, { message: 'expected at most 4 key columns' }),
  }),
  fires,
  stream,
  lookups: z.array(lookup).default([]),
  /** Payload field -> column, in payload order. */
  fields: z.record(fieldName, columnRef).refine((fields) => Object.keys(fields).length > 0, { message: 'expected at least one field' }),
  /** Embedded collections, after the fields, in this order. */
  children: z.array(child).default([]),
});

/**
 * The sale figures compared with the central API's, per day and per cash-register session. The PDV counts the
 * rows of `event`'s source table that are in one of its `to` values now; the central API counts `event`'s events
 * minus the `minus` events (a cancellation takes its sale back out). `day`, `session` and `total` are payload
 * fields of `event` (and of every `minus` event), each backed by a column.
 */
const reconciliation = z.strictObject({
  event: z.string(),
  minus: z.array(z.string()).default([]),
  day: fieldName,
  session: fieldName,
  total: fieldName,
});

export const declarationFileSchema = z.strictObject({
  events: z.array(eventDeclaration, { message: 'expected a list of events' }).min(1, { message: 'expected at least one event' }),
  reconciliation: reconciliation.optional(),
});

export type DeclarationFile = z.infer<typeof declarationFileSchema>;
export type EventDeclaration = z.infer<typeof eventDeclaration>;
export type TableRef = z.infer<typeof tableRef>;
export type ColumnRef = z.infer<typeof columnRef>;
export type StatusValue = z.infer<typeof statusValue>;
export type ReconciliationDeclaration = z.infer<typeof reconciliation>;
