import type { ColumnRef, KeyType, TableRef } from './declaration-schema.js';

/**
 * The events declaration once checked: what the generator, the capture processing, the payload builder and the
 * reconciliation read. Events are grouped by source table, since one trigger per table captures for all of them.
 */
export interface EventsModel {
  /** The file it came from, for messages. */
  file: string;
  /** sha256 of the declaration (and of the generator's version): names the generated script. */
  hash: string;
  events: readonly EventModel[];
  sources: readonly SourceModel[];
  reconciliation: ReconciliationModel | null;
}

export interface KeyColumn {
  column: string;
  type: KeyType;
}

export interface SourceModel {
  /** How captures and aggregate states name this table: "vendas.Venda", or "venda" in the default schema. */
  id: string;
  table: TableRef;
  key: readonly KeyColumn[];
  /** The status column the status events watch; null when the table has insert events only. */
  statusColumn: string | null;
  /**
   * Every status value an event of this table moves to or from, as text. The trigger captures a status change
   * only when it enters or leaves one of them; other changes are not events, and need not be seen.
   */
  watchedValues: readonly string[];
  /** True when an event fires for every inserted row. */
  capturesInserts: boolean;
  events: readonly EventModel[];
  /** The generated trigger's (and, on PostgreSQL, its function's) name. */
  captureName: string;
}

export type Firing = { kind: 'insert' } | { kind: 'status'; column: string; to: readonly string[]; from: readonly string[] | null };

export interface LookupModel {
  name: string;
  table: TableRef;
  /** [lookup column, source column] pairs. */
  join: readonly (readonly [string, string])[];
}

export interface FieldModel {
  name: string;
  column: ColumnRef;
}

export interface ChildModel {
  field: string;
  table: TableRef;
  /** [child column, source column] pairs. */
  join: readonly (readonly [string, string])[];
  orderBy: readonly string[];
  fields: readonly { name: string; column: string }[];
}

export interface EventModel {
  type: string;
  source: SourceModel;
  firing: Firing;
  stream: { prefix: string; column: ColumnRef | null };
  lookups: readonly LookupModel[];
  fields: readonly FieldModel[];
  children: readonly ChildModel[];
}

export interface ReconciliationModel {
  /** The event whose source rows count as sales (their status is one of its `to` values). */
  event: EventModel;
  /** Events that take a sale back out centrally. */
  minus: readonly EventModel[];
  /** Payload field names, each backed by a column of `event`. */
  dayField: string;
  sessionField: string;
  totalField: string;
}

/** "vendas.Venda", or "Venda" for a table in the connection's default schema. */
export function sourceIdOf(table: TableRef): string {
  return table.schema === undefined ? table.name : `${table.schema}.${table.name}`;
}

/** The column a field (or the stream, or a reconciliation figure) reads, as the payload query names it. */
export function columnOf(ref: ColumnRef): { lookup: string | null; column: string } {
  return typeof ref === 'string' ? { lookup: null, column: ref } : { lookup: ref.lookup, column: ref.column };
}
