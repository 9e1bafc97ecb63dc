import type { EventItemResult } from '@goldpdv/core';

/** The part of an EventItemResult decided by the store; index and eventId are added per item. */
export type ItemOutcome = Omit<EventItemResult, 'index' | 'eventId'>;

const withResult = (outcome: ItemOutcome, result: string | null): ItemOutcome => (result === null ? outcome : { ...outcome, result });

export const appliedOutcome = (result: string | null): ItemOutcome => withResult({ status: 'applied', httpStatus: 201 }, result);

/** A replay: the stored result is answered again, the handler is not called again. */
export const duplicateOutcome = (result: string | null): ItemOutcome => withResult({ status: 'duplicate', httpStatus: 200 }, result);

export const conflictOutcome = (message: string): ItemOutcome => ({
  status: 'conflict',
  httpStatus: 422,
  error: { code: 'payload_conflict', message },
});

export const handlerRejectedOutcome = (message: string): ItemOutcome => ({
  status: 'rejected',
  httpStatus: 422,
  error: { code: 'handler_rejected', message },
});

export const lockedOutcome = (): ItemOutcome => ({
  status: 'retry',
  httpStatus: 409,
  error: { code: 'in_progress', message: 'a concurrent request holds this event; retry later with the same eventId' },
});

export const STORED_CONFLICT_MESSAGE = 'this eventId was stored earlier with a different payload';

/**
 * The outcome of a later item of the same request that repeats an earlier item's eventId: the first one wins,
 * and the repeat is compared to it exactly as it would be to a stored event.
 */
export function repeatOutcome(first: ItemOutcome, firstIndex: number, samePayload: boolean): ItemOutcome {
  if (!samePayload) return conflictOutcome(`this eventId appears earlier in the same request (index ${firstIndex}) with a different payload`);
  if (first.status === 'applied') return duplicateOutcome(typeof first.result === 'string' ? first.result : null);
  return first;
}
