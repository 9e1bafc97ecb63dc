import { isLockTimeout, PermanentError, TransientError, type Queryable } from '@goldpdv/core';
import type { PdvIdentity } from '../auth.js';
import type { EventHandlerMap } from './event-handlers.js';
import { classifyHandlerFailure, handlerErrorMessage } from './handler-failure.js';
import type { InboxStore, StoredInboxEvent } from './inbox-store.js';
import {
  appliedOutcome,
  conflictOutcome,
  duplicateOutcome,
  handlerRejectedOutcome,
  lockedOutcome,
  STORED_CONFLICT_MESSAGE,
  type ItemOutcome,
} from './item-outcome.js';
import { UnisolatedHandlerFailure } from './unisolated-handler-failure.js';
import type { ValidEvent } from './validate-event.js';

export interface StoreContext {
  tx: Queryable;
  inbox: InboxStore;
  pdv: PdvIdentity;
  handlers: EventHandlerMap;
  lockTimeoutMs: number;
}

/**
 * Stores events (distinct keys) in sync_inbox and runs their handlers, inside the caller's transaction.
 * Without handlers this is at most four statements whatever the batch size: begin, one set-based insert, when
 * it stored something one primary key read of the inbox retention's key-only records (refuseKeysPurgedMeanwhile),
 * and, only when some events were already stored (or purged), one read of their fingerprints.
 */
export async function storeEvents(context: StoreContext, events: readonly ValidEvent[]): Promise<Map<string, ItemOutcome>> {
  const { tx, inbox, pdv } = context;
  await inbox.begin(tx, context.lockTimeoutMs);
  // Request order, not key order: the inbox's arrival order is the audit trail of each stream's FIFO. Two
  // requests sharing events arise only when a lease expired mid-send; should they lock each other in opposite
  // orders, PostgreSQL and SQL Server detect the deadlock, one request answers 503 and its client retries.
  const outcomes = new Map<string, ItemOutcome>();
  const inserted = await insertWithLockFallback(context, events, outcomes);
  await refuseKeysPurgedMeanwhile(context, inserted);

  const seenBefore = events.filter((event) => !inserted.has(event.key) && !outcomes.has(event.key));
  if (seenBefore.length > 0) {
    const stored = new Map<string, StoredInboxEvent>();
    // The inbox row comes first; its key-only record can only be read beside it while a purge commits.
    for (const row of await inbox.readStored(tx, pdv.pdvId, seenBefore.map((e) => e.key))) if (!stored.has(row.key)) stored.set(row.key, row);
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

/**
 * A replay that raced a purge of its own event: the insert waited on the inbox row the purge was deleting and
 * stored the event anew. It must not be applied twice, so the whole request is answered 503 (nothing of it is
 * kept) and the client's retry finds the key-only record: "duplicate". One primary key read per request that
 * stored something; the race needs a replay of an event older than the retention during that event's purge.
 */
async function refuseKeysPurgedMeanwhile(context: StoreContext, inserted: ReadonlySet<string>): Promise<void> {
  if (inserted.size === 0) return;
  const purged = await context.inbox.purgedAmong(context.tx, context.pdv.pdvId, [...inserted]);
  if (purged.length === 0) return;
  throw new TransientError('a concurrent inbox purge recorded an event of this request while it was being stored; retry', {
    context: { pdvId: context.pdv.pdvId, eventIds: purged.slice(0, 10) },
  });
}

async function insertWithLockFallback(context: StoreContext, events: readonly ValidEvent[], outcomes: Map<string, ItemOutcome>): Promise<Set<string>> {
  const { tx, inbox, pdv } = context;
  try {
    return new Set(await inbox.insertNew(tx, pdv.pdvId, events));
  } catch (error) {
    if (!isLockTimeout(error)) throw error;
  }
  // Some event is held by a concurrent request. Only then, one at a time, to tell exactly which ones.
  await inbox.rollbackTo(tx, 'sync_batch');
  const inserted = new Set<string>();
  // Once an event of a stream must wait, the later events of that stream wait too: storing them now would
  // apply them before it, out of the order the PDV recorded them in.
  const waitingStreams = new Set<string>();
  for (const event of events) {
    if (waitingStreams.has(event.streamKey)) {
      outcomes.set(event.key, lockedOutcome());
      continue;
    }
    await inbox.savepoint(tx, 'sync_item');
    try {
      for (const key of await inbox.insertNew(tx, pdv.pdvId, [event])) inserted.add(key);
      await inbox.release(tx, 'sync_item');
    } catch (error) {
      if (!isLockTimeout(error)) throw error;
      await inbox.rollbackTo(tx, 'sync_item');
      outcomes.set(event.key, lockedOutcome());
      waitingStreams.add(event.streamKey);
    }
  }
  return inserted;
}

async function applyHandler(context: StoreContext, event: ValidEvent, routine: string): Promise<ItemOutcome> {
  const { tx, inbox, pdv } = context;
  await inbox.savepoint(tx, 'sync_handler');
  try {
    const result = await inbox.callHandler(tx, routine, event.payload, pdv.pdvId);
    if (result !== null) await inbox.saveResult(tx, pdv.pdvId, event.key, result);
    await inbox.release(tx, 'sync_handler');
    return appliedOutcome(result);
  } catch (error) {
    const kind = classifyHandlerFailure(error);
    const errorContext = { eventId: event.eventId, eventType: event.type, routine, pdvId: pdv.pdvId };
    if (kind === 'transient') throw new TransientError(`handler ${routine} hit a transient failure`, { cause: error, context: errorContext });
    if (kind === 'fault') throw new PermanentError(`handler ${routine} failed on the server side`, { cause: error, context: errorContext });
    try {
      await inbox.rollbackTo(tx, 'sync_handler');
      // The inbox row was inserted before the savepoint; dropping it lets a corrected redrive apply the event.
      await inbox.remove(tx, pdv.pdvId, event.key);
    } catch {
      throw new UnisolatedHandlerFailure(event, error);
    }
    return kind === 'locked' ? lockedOutcome() : handlerRejectedOutcome(handlerErrorMessage(error));
  }
}
