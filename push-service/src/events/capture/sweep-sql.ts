import type { KeyColumn, SourceModel } from '../declaration/events-model.js';
import { inValues, type SqlText } from '../generate/sql-text.js';

/**
 * The sweep's statements for one source table, made from the declaration. The table is read a page of keys at a
 * time, in key order, so that each step reads a bounded range however large the table is:
 * - page: the key text of the next @n rows after the cursor (the first page has no cursor), in key order;
 * - candidates: in that range, the rows an event should exist for and whose recorded state says it does not:
 *   no state at all for a table with insert events, or a status in one of the events' `to` values that is not
 *   the recorded status. The recorded state comes back with them (NULL columns: none).
 * Keys are compared as a tuple, spelled out as (a > x) OR (a = x AND b > y)..., which both dialects read alike.
 * The sweep never waits for a sale: see SqlText.skipLocked (a row a POS transaction holds is captured by its
 * trigger when that transaction commits, or seen by the next pass).
 */
export interface SweepStatements {
  source: SourceModel;
  /** Params: the page size, then (pageAfter only) the cursor's key parts. */
  pageFirst: string;
  pageAfter: string;
  /** Params: the range's last key parts, then (candidatesAfter only) the cursor's key parts. */
  candidatesFirst: string;
  candidatesAfter: string;
}

export function sweepStatements(source: SourceModel, text: SqlText): SweepStatements {
  const parts = source.key.length;
  const keyText = text.keyText('s', source.key);
  const orderBy = source.key.map((k) => text.column('s', k.column)).join(', ');
  const end = text.dialect === 'mssql' ? ';' : '';
  const page = (after: boolean) => {
    const where = after ? `\nWHERE ${tuple(text, source.key, '>', 2)}` : '';
    return text.dialect === 'mssql'
      ? `SELECT TOP (${param(text, 1)}) ${keyText} AS key_text\nFROM ${text.table(source.table)} AS s${text.skipLocked}${where}\nORDER BY ${orderBy};`
      : `SELECT ${keyText} AS key_text\nFROM ${text.table(source.table)} AS s${where}\nORDER BY ${orderBy}\nLIMIT ${param(text, 1)}`;
  };

  const status = source.statusColumn === null ? null : text.statusText('s', source.statusColumn);
  const toValues = [...new Set(source.events.flatMap((e) => (e.firing.kind === 'status' ? e.firing.to : [])))];
  const missing: string[] = [];
  if (source.capturesInserts) missing.push('st.source_name IS NULL');
  if (status !== null && toValues.length > 0) missing.push(`(${inValues(text, status, toValues)} AND (st.last_status IS NULL OR st.last_status <> ${status}))`);
  const candidates = (after: boolean) => `SELECT ${keyText} AS key_text, ${status ?? 'NULL'} AS status, st.last_status, st.transitions
FROM ${text.table(source.table)} AS s${text.skipLocked}
LEFT JOIN ${text.syncTable('sync_event_state')} AS st ON st.source_name = ${text.literal(source.id)} AND st.key_text = ${keyText}
WHERE ${tuple(text, source.key, '<=', 1)}${after ? `\n  AND ${tuple(text, source.key, '>', 1 + parts)}` : ''}
  AND (${missing.length > 0 ? missing.join(' OR ') : '1 = 0'})${end}`;

  return { source, pageFirst: page(false), pageAfter: page(true), candidatesFirst: candidates(false), candidatesAfter: candidates(true) };
}

/** $n or @pn, cast to the key part's type (a JSON number binds as an int, a string as nvarchar/text). */
function keyParam(text: SqlText, key: KeyColumn, position: number): string {
  if (text.dialect === 'mssql') return `CAST(@p${position} AS ${key.type})`;
  return `$${position}::${key.type === 'int' ? 'integer' : key.type === 'bigint' ? 'bigint' : 'uuid'}`;
}

function param(text: SqlText, position: number): string {
  return text.dialect === 'mssql' ? `@p${position}` : `$${position}`;
}

/** (c0, c1...) > (params) or <= (params), from parameter `first` on. */
function tuple(text: SqlText, key: readonly KeyColumn[], op: '>' | '<=', first: number): string {
  const column = (i: number) => text.column('s', key[i]!.column);
  const value = (i: number) => keyParam(text, key[i]!, first + i);
  const strict = op === '>' ? '>' : '<';
  const terms = key.map((_k, i) => {
    const equal = key.slice(0, i).map((_e, j) => `${column(j)} = ${value(j)}`);
    const last = i === key.length - 1 && op === '<=' ? '<=' : strict;
    return [...equal, `${column(i)} ${last} ${value(i)}`].join(' AND ');
  });
  return terms.length === 1 ? terms[0]! : `(${terms.map((t) => `(${t})`).join(' OR ')})`;
}
