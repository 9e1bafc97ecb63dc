import { PermanentError } from '@goldpdv/core';
import type { ValidEvent } from './validate-event.js';

/**
 * A handler failed and its savepoint could not be rolled back (SQL Server dooms some transactions): the whole
 * transaction is lost. It never reaches a client: ingest-events.ts starts the transaction over without this
 * event, whose own outcome `failure` decides.
 */
export class UnisolatedHandlerFailure extends PermanentError {
  constructor(
    readonly event: ValidEvent,
    readonly failure: unknown,
  ) {
    super(`handler failure of event ${event.eventId} could not be isolated`, { cause: failure, context: { eventId: event.eventId, eventType: event.type } });
  }
}
