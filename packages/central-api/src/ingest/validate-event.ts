import { checkEventEnvelope, payloadFingerprint, type EventItemResult } from '@goldpdv/core';

/** An event that passed validation, with what the store needs precomputed. */
export interface ValidEvent {
  /** Position in the request; results are answered in this order. */
  index: number;
  /** As sent; echoed back in the result. */
  eventId: string;
  /** Lowercased eventId: with the PDV id, the dedupe key (PostgreSQL and SQL Server print UUIDs differently). */
  key: string;
  type: string;
  streamKey: string;
  occurredAt: string;
  payload: string;
  payloadHash: string;
}

export type EventValidation = { ok: true; event: ValidEvent } | { ok: false; result: EventItemResult };

/** Names the fields of an envelope in error messages: `events[3].eventId` in a batch, header names for one event. */
export type FieldNamer = (path: readonly PropertyKey[]) => string;

export function validateEvent(item: unknown, index: number, fieldName: FieldNamer): EventValidation {
  const checked = checkEventEnvelope(item);
  if (!checked.ok) return rejected(item, index, fieldName(checked.path), checked.message);
  const envelope = checked.envelope;
  return {
    ok: true,
    event: {
      index,
      eventId: envelope.eventId,
      key: envelope.eventId.toLowerCase(),
      type: envelope.type,
      streamKey: envelope.streamKey,
      occurredAt: envelope.occurredAt,
      payload: envelope.payload,
      payloadHash: payloadFingerprint(envelope.payload),
    },
  };
}

function rejected(item: unknown, index: number, field: string, message: string): EventValidation {
  return {
    ok: false,
    result: {
      index,
      eventId: echoableEventId(item),
      status: 'rejected',
      httpStatus: 400,
      error: { code: 'invalid_event', message: `${field} ${message}`, field },
    },
  };
}

/** The eventId as sent, when it is a short string: a junk megabyte is not worth echoing back. */
function echoableEventId(item: unknown): string | null {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return null;
  const value = (item as Record<string, unknown>).eventId;
  return typeof value === 'string' && value.length <= 64 ? value : null;
}
