import type { AppContext } from '../app-context.js';
import { badRequest, HttpProblem, PROBLEM_TYPES } from '../http/problem.js';
import type { Route, RouteResponse } from '../http/route.js';
import { ingestEvents, type IngestSettings } from './ingest-events.js';
import { validateEvent } from './validate-event.js';

/** Where each envelope field comes from in the one-event form, to name it in errors. */
const FIELD_SOURCES: Record<string, string> = {
  eventId: 'eventId',
  type: 'X-Event-Type',
  streamKey: 'X-Stream-Key',
  occurredAt: 'X-Occurred-At',
  payload: 'body',
};

const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.join(', ') : value);

/**
 * POST /v1/events/{eventId}: one event, for clients that push one request per event (existing VPS APIs).
 * The body is the payload itself (the JSON text of an object); the envelope travels in headers. 201 applied,
 * 200 replay of the stored result, 422 conflict or rejected, 409 retry, 400 invalid.
 */
export function singleEventRoute(context: AppContext, settings: IngestSettings): Route {
  return {
    method: 'POST',
    path: '/v1/events/{eventId}',
    async handle(request) {
      const pdv = await context.auth.authenticate(request.headers);
      const eventId = request.params.eventId ?? '';
      const idempotencyKey = header(request.headers['idempotency-key']);
      if (idempotencyKey === undefined || idempotencyKey.trim() === '') {
        throw badRequest('the Idempotency-Key header is required and must equal the eventId of the path', 'Idempotency-Key');
      }
      if (idempotencyKey.trim().toLowerCase() !== eventId.toLowerCase()) {
        throw badRequest('the Idempotency-Key header must equal the eventId of the path', 'Idempotency-Key');
      }
      // The envelope check decides whether the body is the JSON text of an object, as for a batch item.
      const payload = await request.readText();
      const envelope = {
        eventId,
        type: header(request.headers['x-event-type']),
        streamKey: header(request.headers['x-stream-key']),
        occurredAt: header(request.headers['x-occurred-at']),
        payload,
      };
      const validation = validateEvent(envelope, 0, (path) => FIELD_SOURCES[String(path[0])] ?? 'eventId');
      if (!validation.ok) throw badRequest(validation.result.error!.message, validation.result.error!.field);

      const [result] = await ingestEvents(context.db, pdv, [validation.event], settings);
      context.metrics.eventsIngested([result!]);
      request.log.info({ pdvId: pdv.pdvId, eventId, status: result!.status }, 'event ingested');
      return answer(eventId, result!, context.config.RETRY_AFTER_SECONDS);
    },
  };
}

function answer(eventId: string, result: { status: string; httpStatus: number; result?: unknown; error?: { message: string } }, retryAfter: number): RouteResponse {
  switch (result.status) {
    case 'applied':
    case 'duplicate':
      return { status: result.httpStatus, body: result.result === undefined ? { eventId, status: result.status } : { eventId, status: result.status, result: result.result } };
    case 'conflict':
      throw new HttpProblem(422, PROBLEM_TYPES.conflict, 'Event conflicts with a stored event', { detail: result.error?.message, extensions: { eventId } });
    case 'retry':
      throw new HttpProblem(409, PROBLEM_TYPES.retry, 'Event in progress', { detail: result.error?.message, extensions: { eventId }, headers: { 'retry-after': String(retryAfter) } });
    default:
      throw new HttpProblem(422, PROBLEM_TYPES.rejected, 'Event rejected', { detail: result.error?.message, extensions: { eventId } });
  }
}
