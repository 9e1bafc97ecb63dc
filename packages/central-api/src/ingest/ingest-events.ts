import type { Database, EventItemResult } from '@goldpdv/core';
import type { PdvIdentity } from '../auth.js';
import type { EventHandlerMap } from './event-handlers.js';
import { classifyHandlerFailure, handlerErrorMessage } from './handler-failure.js';
import type { InboxStore } from './inbox-store.js';
import { handlerRejectedOutcome, lockedOutcome, repeatOutcome, type ItemOutcome } from './item-outcome.js';
import { storeEvents } from './store-events.js';
import { UnisolatedHandlerFailure } from './unisolated-handler-failure.js';
import type { ValidEvent } from './validate-event.js';

/** What both ingest routes store with. */
export interface IngestSettings {
  /** The inbox store of the database's dialect, chosen when the server starts. */
  inbox: InboxStore;
  handlers: EventHandlerMap;
  lockTimeoutMs: number;
}

/**
 * Stores valid events idempotently for one PDV, in one transaction, and answers one result per event in the
 * order given. Within the request the first occurrence of an eventId wins; later ones are compared to it.
 * A transient database failure rejects the whole call (the caller answers 503): nothing is half-stored.
 */
export async function ingestEvents(db: Database, pdv: PdvIdentity, events: readonly ValidEvent[], settings: IngestSettings): Promise<EventItemResult[]> {
  const firsts = new Map<string, ValidEvent>();
  for (const event of events) if (!firsts.has(event.key)) firsts.set(event.key, event);

  const excluded = new Map<string, ItemOutcome>();
  let outcomes: Map<string, ItemOutcome>;
  for (;;) {
    const pending = [...firsts.values()].filter((event) => !excluded.has(event.key));
    try {
      outcomes = await db.transaction((tx) => storeEvents({ tx, pdv, ...settings }, pending));
      break;
    } catch (error) {
      // Bounded: each pass excludes one more event.
      if (!(error instanceof UnisolatedHandlerFailure)) throw error;
      const kind = classifyHandlerFailure(error.failure);
      if (kind !== 'rejected' && kind !== 'locked') throw error.failure;
      excluded.set(error.event.key, kind === 'locked' ? lockedOutcome() : handlerRejectedOutcome(handlerErrorMessage(error.failure)));
    }
  }
  for (const [key, outcome] of excluded) outcomes.set(key, outcome);

  return events.map((event) => {
    const first = firsts.get(event.key)!;
    const firstOutcome = outcomes.get(event.key)!;
    const outcome = first === event ? firstOutcome : repeatOutcome(firstOutcome, first.index, first.payloadHash === event.payloadHash);
    return { index: event.index, eventId: event.eventId, ...outcome };
  });
}
