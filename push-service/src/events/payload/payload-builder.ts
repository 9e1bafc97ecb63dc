import { describeDriverError, driverErrorFacts, isTransientError, MAX_PAYLOAD_CHARS, type Queryable } from '@goldpdv/core';
import type { KeyColumn } from '../declaration/events-model.js';
import { jsonValue, type ValueKind } from './column-value.js';
import type { FieldPlan, PayloadStatements } from './payload-sql.js';

/** One aggregate whose payload is wanted: its captured key, and the status its event fired for (undefined: as it is). */
export interface AggregateToBuild {
  keyText: string;
  status?: string | null;
}

/** A payload as built, or why it could not be: the event then becomes a dead letter with that reason. */
export type BuiltPayload = { kind: 'built'; payload: string; streamKey: string } | { kind: 'unbuilt'; reason: string };

const MAX_STREAM_KEY = 128;

/**
 * Builds the payloads of one event type for these aggregates (their key text, as captured), in their order.
 * It runs outside any sale's transaction, on rows already committed. An aggregate that no longer exists, a
 * stream column that is NULL, a payload over the contract's limit, or a statement the database refuses (a
 * dropped child table, a value it cannot convert) gives `unbuilt` for that aggregate only: a refused statement is
 * tried again one aggregate at a time to find which. A transient error (the database went away) is thrown, so
 * that the whole round is tried again later rather than dead-lettered.
 */
export async function buildPayloads(db: Queryable, statements: PayloadStatements, aggregates: readonly AggregateToBuild[]): Promise<BuiltPayload[]> {
  const keyTexts = aggregates.map((a) => a.keyText);
  const keys = keyTexts.map((text) => parseKeyText(text, statements.event.source.key));
  const results: BuiltPayload[] = keyTexts.map(() => ({ kind: 'unbuilt', reason: 'the captured key does not match the declared key columns' }));
  const valid = keys.flatMap((key, index) => (key === null ? [] : [{ index, key }]));
  if (valid.length === 0) return results;
  try {
    const built = await readPayloads(db, statements, valid.map((v) => v.key), valid.map((v) => aggregates[v.index]!.status));
    valid.forEach((v, i) => (results[v.index] = built[i]!));
  } catch (error) {
    // A statement timeout (57014: a sale held the rows for long) is no fault of the payload either.
    if (isTransientError(error) || driverErrorFacts(error).sqlState === '57014') throw error;
    if (valid.length === 1) {
      results[valid[0]!.index] = { kind: 'unbuilt', reason: `the database refused the payload query: ${describeDriverError(error)}` };
    } else {
      for (const v of valid) results[v.index] = (await buildPayloads(db, statements, [aggregates[v.index]!]))[0]!;
    }
  }
  return results;
}

async function readPayloads(db: Queryable, statements: PayloadStatements, keys: readonly (number | string)[][], statuses: readonly (string | null | undefined)[]): Promise<BuiltPayload[]> {
  const param = JSON.stringify(keys.map((parts, o) => Object.fromEntries([['o', o], ...parts.map((part, i) => [`k${i}`, part])])));
  const parents = await db.query<Record<string, unknown>>(statements.parent, [param]);
  const childRows: Record<string, unknown>[][] = [];
  for (const child of statements.children) childRows.push((await db.query<Record<string, unknown>>(child.sql, [param])).rows);
  const byOrd = new Map(parents.rows.map((row) => [Number(row.sync_ord), row]));
  const prefix = statements.event.stream.prefix;
  return keys.map((_key, o): BuiltPayload => {
    const row = byOrd.get(o);
    if (row === undefined) return { kind: 'unbuilt', reason: `the ${statements.event.source.id} row no longer exists` };
    let streamKey = prefix;
    if (statements.streamKind !== null) {
      if (row.sync_stream === null || row.sync_stream === undefined) return { kind: 'unbuilt', reason: 'the stream column is NULL' };
      streamKey += textOf(statements.streamKind, row.sync_stream);
    }
    if (streamKey === '' || streamKey.length > MAX_STREAM_KEY) return { kind: 'unbuilt', reason: `the stream key must be 1 to ${MAX_STREAM_KEY} characters; it is ${streamKey.length}` };
    const status = statuses[o];
    if (status !== undefined) for (const index of statements.statusFields) row[`f${index}`] = status;
    const members = [objectMembers(statements.fields, row)];
    statements.children.forEach((child, i) => {
      const items = childRows[i]!.filter((r) => Number(r.sync_ord) === o).map((r) => `{${objectMembers(child.fields, r)}}`);
      members.push(`${JSON.stringify(child.field)}:[${items.join(',')}]`);
    });
    const payload = `{${members.join(',')}}`;
    if (payload.length > MAX_PAYLOAD_CHARS) return { kind: 'unbuilt', reason: `the payload is ${payload.length} characters, over the contract's ${MAX_PAYLOAD_CHARS}` };
    return { kind: 'built', payload, streamKey };
  });
}

function objectMembers(fields: readonly FieldPlan[], row: Record<string, unknown>): string {
  return fields.map((field, i) => `${JSON.stringify(field.name)}:${jsonValue(field.kind, row[`f${i}`])}`).join(',');
}

/** A value as text, for a stream key: what its JSON would hold, without quotes. */
function textOf(kind: ValueKind, value: unknown): string {
  const json = jsonValue(kind, value);
  return json.startsWith('"') ? (JSON.parse(json) as string) : json;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A captured key text back into its typed parts: int as a number, bigint as a string (past 2^53 a number would
 * change it), uuid as a string. Null when the text does not have the declared shape.
 */
export function parseKeyText(text: string, key: readonly KeyColumn[]): (number | string)[] | null {
  const parts = text.split(',');
  if (parts.length !== key.length) return null;
  const typed: (number | string)[] = [];
  for (const [i, part] of parts.entries()) {
    const type = key[i]!.type;
    if (type === 'uniqueidentifier') {
      if (!UUID.test(part)) return null;
      typed.push(part);
    } else {
      if (!/^-?\d{1,20}$/.test(part)) return null;
      typed.push(type === 'int' ? Number(part) : part);
    }
  }
  return typed;
}
