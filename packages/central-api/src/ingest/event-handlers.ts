import { ConfigError, EVENT_TYPE_PATTERN } from '@goldpdv/core';
import type { ParseResult } from '../parse-result.js';

/** A database routine name as it may appear in EVENT_HANDLERS: lowercase, PostgreSQL's 63-byte identifier limit. */
export const ROUTINE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Event type -> database routine applying it (a function on PostgreSQL, a procedure in dbo on SQL Server). */
export type EventHandlerMap = ReadonlyMap<string, string>;

/**
 * Parses `venda.finalizada=sync_handle_venda,caixa.movimento=sync_handle_caixa_movimento`. Routine names are
 * checked against ROUTINE_NAME here, and again (checkedRoutineName) where the SQL is written, so that
 * configuration can never become SQL text of its own.
 */
export function parseEventHandlers(raw: string | undefined): ParseResult<EventHandlerMap> {
  const handlers = new Map<string, string>();
  if (raw === undefined) return { ok: true, value: handlers };
  for (const entry of raw.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const separator = entry.indexOf('=');
    const type = entry.slice(0, separator).trim();
    const routine = entry.slice(separator + 1).trim();
    if (separator < 0 || !EVENT_TYPE_PATTERN.test(type) || type.length > 64) {
      return { ok: false, message: `expected type=routine pairs such as venda.finalizada=sync_handle_venda; "${entry.slice(0, 80)}" is not one` };
    }
    if (!ROUTINE_NAME.test(routine)) {
      return { ok: false, message: `expected routine names of lowercase letters, digits and underscores (at most 63); "${routine.slice(0, 80)}" is not one` };
    }
    if (handlers.has(type)) return { ok: false, message: `expected each event type once; "${type}" has two handlers` };
    handlers.set(type, routine);
  }
  return { ok: true, value: handlers };
}

/** The routine name itself, once it meets ROUTINE_NAME; the names come from EVENT_HANDLERS only. */
export function checkedRoutineName(routine: string): string {
  if (!ROUTINE_NAME.test(routine)) {
    throw new ConfigError('EVENT_HANDLERS', `not a valid routine name: ${routine.slice(0, 80)}`, { context: { routine: routine.slice(0, 80) } });
  }
  return routine;
}
