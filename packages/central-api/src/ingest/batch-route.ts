import { eventBatchRequestSchema, type EventItemResult } from '@goldpdv/core';
import type { AppContext } from '../app-context.js';
import { badRequest } from '../http/problem.js';
import type { Route } from '../http/route.js';
import { ingestEvents, type IngestSettings } from './ingest-events.js';
import { validateEvent, type ValidEvent } from './validate-event.js';

/** `events[3].eventId`: the JSON path of a field of the item at `index`. */
export function batchFieldPath(index: number, path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : `${text}.${String(key)}`), `events[${index}]`);
}

/**
 * POST /v1/events: a batch of events from one PDV. The envelope must be right (else 400); each item is then
 * judged alone, so one bad event never holds back its neighbours. The answer is 200 with one result per item,
 * in input order, even when every item was rejected.
 */
export function batchEventsRoute(context: AppContext, settings: IngestSettings): Route {
  return {
    method: 'POST',
    path: '/v1/events',
    async handle(request) {
      const pdv = await context.auth.authenticate(request.headers);
      const items = parseBatchEnvelope(await request.readJson(), context.config.MAX_EVENTS_PER_BATCH);
      const results: EventItemResult[] = new Array(items.length);
      const valid: ValidEvent[] = [];
      items.forEach((item, index) => {
        const validation = validateEvent(item, index, (path) => batchFieldPath(index, path));
        if (validation.ok) valid.push(validation.event);
        else results[index] = validation.result;
      });
      if (valid.length > 0) {
        for (const result of await ingestEvents(context.db, pdv, valid, settings)) results[result.index] = result;
      }
      context.metrics.eventsIngested(results);
      request.log.info({ pdvId: pdv.pdvId, events: items.length, ...countByStatus(results) }, 'event batch ingested');
      return { status: 200, body: { results } };
    },
  };
}

function parseBatchEnvelope(body: unknown, maxEvents: number): unknown[] {
  const parsed = eventBatchRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length === 0 ? undefined : batchEnvelopeField(issue.path);
    const detail = issue.path.length === 0 || (issue.code === 'invalid_type' && issue.path.length === 1)
      ? 'the body must be an object {"events": [...]}'
      : `${field} ${issue.message}`;
    throw badRequest(detail, field ?? 'events');
  }
  if (parsed.data.events.length > maxEvents) {
    throw badRequest(`events must hold at most ${maxEvents} events; found ${parsed.data.events.length}`, 'events');
  }
  return parsed.data.events;
}

function batchEnvelopeField(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');
}

function countByStatus(results: readonly EventItemResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const result of results) counts[result.status] = (counts[result.status] ?? 0) + 1;
  return counts;
}
