import { payloadFingerprint, safeParseEventEnvelope, type EventItemResult } from '@goldpdv/core';
import type { z } from 'zod';

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

// NUL cannot be stored in a PostgreSQL text column, and a lone surrogate cannot be encoded as UTF-8 without
// changing it: either would make the stored payload differ from the one fingerprinted.
const NUL = '\u0000';
const LONE_SURROGATE = /\p{Surrogate}/u;

export function validateEvent(item: unknown, index: number, fieldName: FieldNamer): EventValidation {
  const parsed = safeParseEventEnvelope(item);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return rejected(item, index, fieldName(issue.path), describeIssue(issue, valueAt(item, issue.path)));
  }
  const envelope = parsed.data;
  for (const name of ['streamKey', 'payload'] as const) {
    const text = envelope[name];
    if (text.includes(NUL)) return rejected(item, index, fieldName([name]), 'must not contain the NUL character');
    if (LONE_SURROGATE.test(text)) return rejected(item, index, fieldName([name]), 'must be well-formed Unicode (it has a lone surrogate)');
  }
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

/** zod leaves the input out of its issues, so the offending value is looked up again. */
function valueAt(item: unknown, path: readonly PropertyKey[]): unknown {
  let value = item;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'invalid_type') {
    if (value === undefined) return 'is required';
    return `must be ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`;
  }
  return issue.message;
}
