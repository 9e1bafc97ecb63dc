import { PermanentError, TransientError, type DialectName, type Queryable } from '@goldpdv/core';
import type { PdvIdentity } from '../auth.js';
import type { EventHandlerMap } from './event-handlers.js';
import { classifyHandlerFailure, handlerErrorMessage, isLockTimeout } from './handler-failure.js';
import type { InboxDialect } from './inbox-dialect.js';
import {
  appliedOutcome,
  conflictOutcome,
  duplicateOutcome,
  handlerRejectedOutcome,
  lockedOutcome,
  STORED_CONFLICT_MESSAGE,
  type ItemOutcome,
} from './item-outcome.js';
import type { ValidEvent } from './validate-event.js';

export interface StoreContext {
  tx: Queryable;
  dialect: DialectName;
  sql: InboxDialect;
  pdv: PdvIdentity;
  handlers: EventHandlerMap;
  lockTimeoutMs: number;
}

/**
 * A handler failed and its savepoint could not be rolled back (SQL Server dooms some transactions): the whole
 * transaction is lost. The caller starts over without this event.
 */
export class UnisolatedHandlerFailure extends Error {
  constructor(readonly event: ValidEvent, readonly failure: unknown) {
    super(`handler failure of event ${event.eventId} could not be isolated`, { cause: failure });
  }
}

/**
 * Stores events (distinct keys) in sync_inbox and runs their handlers, inside the caller's transaction.
 * Without handlers this is three statements whatever the batch size: begin, one set-based insert and, only
 * when some events were already stored, one read of their fingerprints.
 */
export async function storeEvents(context: StoreContext, events: readonly ValidEvent[]): Promise<Map<string, ItemOutcome>> {
  const { tx, sql, pdv } = context;
  await sql.begin(tx, context.lockTimeoutMs);
  // Request order, not key order: the inbox's arrival order is the audit trail of each stream's FIFO. Two
  // requests sharing events arise only when a lease expired mid-send; should they lock each other in opposite
  // orders, PostgreSQL and SQL Server detect the deadlock, one request answers 503 and its client retries.
  const outcomes = new Map<string, ItemOutcome>();
  const inserted = await insertWithLockFallback(context, events, outcomes);

  const seenBefore = events.filter((event) => !inserted.has(event.key) && !outcomes.has(event.key));
  if (seenBefore.length > 0) {
    const stored = new Map((await sql.readStored(tx, pdv.pdvId, seenBefore.map((e) => e.key))).map((row) => [row.key, row]));
    for (const event of seenBefore) {
      const row = stored.get(event.key);
      // Not inserted yet not there: only a concurrent delete could do that; the client's retry will tell.
      if (row === undefined) outcomes.set(event.key, lockedOutcome());
      else if (row.payloadHash.trim() === event.payloadHash) outcomes.set(event.key, duplicateOutcome(row.result));
      else outcomes.set(event.key, conflictOutcome(STORED_CONFLICT_MESSAGE));
    }
  }

  // Handlers run in request order: within a stream (one caixa session) that is the order things happened.
  for (const event of events) {
    if (!inserted.has(event.key)) continue;
    const routine = context.handlers.get(event.type);
    outcomes.set(event.key, routine === undefined ? appliedOutcome(null) : await applyHandler(context, event, routine));
  }
  return outcomes;
}

async function insertWithLockFallback(context: StoreContext, events: readonly ValidEvent[], outcomes: Map<string, ItemOutcome>): Promise<Set<string>> {
  const { tx, sql, pdv } = context;
  try {
    return new Set(await sql.insertNew(tx, pdv.pdvId, events));
  } catch (error) {
    if (!isLockTimeout(context.dialect, error)) throw error;
  }
  // Some event is held by a concurrent request. Only then, one at a time, to tell exactly which ones.
  await sql.rollbackTo(tx, 'sync_batch');
  const inserted = new Set<string>();
  // Once an event of a stream must wait, the later events of that stream wait too: storing them now would
  // apply them before it, out of the order the PDV recorded them in.
  const waitingStreams = new Set<string>();
  for (const event of events) {
    if (waitingStreams.has(event.streamKey)) {
      outcomes.set(event.key, lockedOutcome());
      continue;
    }
    await sql.savepoint(tx, 'sync_item');
    try {
      for (const key of await sql.insertNew(tx, pdv.pdvId, [event])) inserted.add(key);
      await sql.release(tx, 'sync_item');
    } catch (error) {
      if (!isLockTimeout(context.dialect, error)) throw error;
      await sql.rollbackTo(tx, 'sync_item');
      outcomes.set(event.key, lockedOutcome());
      waitingStreams.add(event.streamKey);
    }
  }
  return inserted;
}

async function applyHandler(context: StoreContext, event: ValidEvent, routine: string): Promise<ItemOutcome> {
  const { tx, sql, pdv } = context;
  await sql.savepoint(tx, 'sync_handler');
  try {
    const result = await sql.callHandler(tx, routine, event.payload, pdv.pdvId);
    if (result !== null) await sql.saveResult(tx, pdv.pdvId, event.key, result);
    await sql.release(tx, 'sync_handler');
    return appliedOutcome(result);
  } catch (error) {
    const kind = classifyHandlerFailure(context.dialect, error);
    const errorContext = { eventId: event.eventId, eventType: event.type, routine, pdvId: pdv.pdvId };
    if (kind === 'transient') throw new TransientError(`handler ${routine} hit a transient failure`, { cause: error, context: errorContext });
    if (kind === 'fault') throw new PermanentError(`handler ${routine} failed on the server side`, { cause: error, context: errorContext });
    try {
      await sql.rollbackTo(tx, 'sync_handler');
      // The inbox row was inserted before the savepoint; dropping it lets a corrected redrive apply the event.
      await sql.remove(tx, pdv.pdvId, event.key);
    } catch {
      throw new UnisolatedHandlerFailure(event, error);
    }
    return kind === 'locked' ? lockedOutcome() : handlerRejectedOutcome(handlerErrorMessage(error));
  }
}
