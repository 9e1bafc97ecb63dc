import type { z } from 'zod';
import { EVENT_TYPE_PATTERN, MAX_PAYLOAD_CHARS, eventEnvelopeSchema, type EventEnvelope } from './events-contract.js';

/**
 * The envelope rules of the push contract, applied by both sides: push-service sets aside an outbox row that
 * breaks them before any network traffic (a dead letter with the reason), and central ingest refuses such an
 * event with a 400 naming the field. One function, so that the two can never disagree.
 */

// The very patterns the schema checks with, taken from it so that the two cannot drift apart. Should a zod
// release stop exposing them, the fast check below turns itself off and every envelope goes through zod.
const UUID_PATTERN = (eventEnvelopeSchema.shape.eventId as { _zod?: { pattern?: unknown } })._zod?.pattern;
const DATETIME_PATTERN = (eventEnvelopeSchema.shape.occurredAt as { _zod?: { pattern?: unknown } })._zod?.pattern;
const FAST_CHECK = UUID_PATTERN instanceof RegExp && DATETIME_PATTERN instanceof RegExp;

/**
 * The envelope when it is plainly valid, else null: then eventEnvelopeSchema decides, and names the fault.
 * Both sides check every event of every batch, and this skips zod's walk for the common case. It accepts
 * only what the schema accepts (a test checks the pair against each other), and gives the same fields.
 */
export function asEventEnvelope(item: unknown): EventEnvelope | null {
  if (!FAST_CHECK || item === null || typeof item !== 'object' || Array.isArray(item)) return null;
  const { eventId, type, streamKey, occurredAt, payload } = item as Record<string, unknown>;
  if (typeof eventId !== 'string' || !(UUID_PATTERN as RegExp).test(eventId)) return null;
  if (typeof type !== 'string' || type.length > 64 || !EVENT_TYPE_PATTERN.test(type)) return null;
  if (typeof streamKey !== 'string' || streamKey.length < 1 || streamKey.length > 128) return null;
  if (typeof occurredAt !== 'string' || !(DATETIME_PATTERN as RegExp).test(occurredAt)) return null;
  if (typeof payload !== 'string' || payload.length > MAX_PAYLOAD_CHARS) return null;
  return { eventId, type, streamKey, occurredAt, payload };
}

/** eventEnvelopeSchema.safeParse, through asEventEnvelope first: the same answer, without zod's walk when valid. */
export function safeParseEventEnvelope(item: unknown): z.ZodSafeParseResult<EventEnvelope> {
  const envelope = asEventEnvelope(item);
  return envelope ? { success: true, data: envelope } : eventEnvelopeSchema.safeParse(item);
}

export type EnvelopeCheck = { ok: true; envelope: EventEnvelope } | { ok: false; path: readonly PropertyKey[]; message: string };

// NUL cannot be stored in a PostgreSQL text column, and a lone surrogate cannot be encoded as UTF-8 without
// changing it: either would make the stored payload differ from the one fingerprinted.
const NUL = '\u0000';
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Every rule an event envelope must meet: the schema's fields, no NUL or lone surrogate in the texts that are
 * stored, and a payload that is the JSON text of an object (handlers read fields of it). The first fault is
 * named by its path in the envelope and a message meant for a person.
 */
export function checkEventEnvelope(item: unknown): EnvelopeCheck {
  const parsed = safeParseEventEnvelope(item);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, path: issue.path, message: describeIssue(issue, valueAt(item, issue.path)) };
  }
  const envelope = parsed.data;
  for (const name of ['streamKey', 'payload'] as const) {
    const text = envelope[name];
    if (text.includes(NUL)) return { ok: false, path: [name], message: 'must not contain the NUL character' };
    if (LONE_SURROGATE.test(text)) return { ok: false, path: [name], message: 'must be well-formed Unicode (it has a lone surrogate)' };
  }
  const payloadProblem = jsonObjectProblem(envelope.payload);
  if (payloadProblem !== null) return { ok: false, path: ['payload'], message: payloadProblem };
  return { ok: true, envelope };
}

function jsonObjectProblem(text: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return `must be JSON text (${(error as Error).message.slice(0, 120)})`;
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? null : 'must be the JSON text of an object';
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
