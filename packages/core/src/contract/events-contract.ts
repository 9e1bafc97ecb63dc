import { z } from 'zod';

/**
 * The push contract between push-service and the central API (POST /v1/events), shared so that both sides
 * validate against the same definitions. The OpenAPI file in packages/central-api documents it for others.
 *
 * The payload travels as a JSON *string*, not as a nested object: its bytes are the idempotency fingerprint,
 * and decimals and timestamps inside it reach the central database exactly as the PDV wrote them, never
 * passing through a JavaScript number.
 */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
export const MAX_EVENTS_PER_BATCH = 1_000;
export const MAX_PAYLOAD_CHARS = 1_000_000;

export const eventEnvelopeSchema = z.object({
  eventId: z.uuid({ message: 'must be a UUID' }),
  type: z.string().max(64, { message: 'must be at most 64 characters' }).regex(EVENT_TYPE_PATTERN, { message: 'must look like "venda.finalizada"' }),
  streamKey: z.string().min(1, { message: 'must not be empty' }).max(128, { message: 'must be at most 128 characters' }),
  occurredAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
  payload: z.string().max(MAX_PAYLOAD_CHARS, { message: `must be at most ${MAX_PAYLOAD_CHARS} characters` }),
});
export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;

/** Items are validated one by one on the server, so one bad event does not reject its neighbours. */
export const eventBatchRequestSchema = z.object({
  events: z.array(z.unknown()).min(1, { message: 'must hold at least one event' }).max(MAX_EVENTS_PER_BATCH, { message: `must hold at most ${MAX_EVENTS_PER_BATCH} events` }),
});

/**
 * What happened to one event:
 * - applied: stored (and handled) now;
 * - duplicate: stored before with the same payload; `result` replays the stored result;
 * - conflict: the same event id was stored before with a different payload (HTTP 422 semantics);
 * - rejected: the event is invalid or its handler refused it for good;
 * - retry: not stored now, try again later with the same id (409 / 503 semantics).
 */
export const EVENT_ITEM_STATUSES = ['applied', 'duplicate', 'conflict', 'rejected', 'retry'] as const;
export type EventItemStatus = (typeof EVENT_ITEM_STATUSES)[number];

export const eventItemResultSchema = z.object({
  index: z.number().int().min(0),
  eventId: z.string().nullable(),
  status: z.enum(EVENT_ITEM_STATUSES),
  httpStatus: z.number().int().min(100).max(599),
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }).optional(),
  result: z.unknown().optional(),
});
export type EventItemResult = z.infer<typeof eventItemResultSchema>;

export const eventBatchResponseSchema = z.object({ results: z.array(eventItemResultSchema) });
export type EventBatchResponse = z.infer<typeof eventBatchResponseSchema>;

/** application/problem+json (RFC 9457) body of every 4xx/5xx answer. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** The first field at fault, as a JSON path such as "events[3].eventId". */
  field?: string;
  [extension: string]: unknown;
}

/** SHA-256 hex of the payload string's UTF-8 bytes: the fingerprint compared on a repeated event id. */
export { payloadFingerprint } from './fingerprint.js';
