import type { Database } from '@goldpdv/core';
import type { EventsModel } from '../declaration/events-model.js';
import { buildPayloads, type BuiltPayload } from '../payload/payload-builder.js';
import type { PayloadStatements } from '../payload/payload-sql.js';
import type { CaptureStore, OutboxEventRow, UnbuiltEventRow } from './capture-store.js';
import type { Sweep, SweepStep } from './sweep.js';
import { planTransitions, type PlannedEvent } from './transitions.js';

export interface RoundLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface RoundResult {
  captures: number;
  events: number;
  unbuilt: number;
  /** Events the sweep found (their rows were never captured). */
  swept: number;
  /** True when the capture backlog holds more than one round took. */
  more: boolean;
}

/** The stream key of a dead letter whose payload was never built: its real stream is unknown. */
export const UNBUILT_STREAM = 'payload-not-built';

/** What a dead letter of an unbuilt payload holds instead, for `events rebuild`. */
export interface UnbuiltMarker {
  payload_not_built: { source: string; key: string; transition: number; status?: string | null };
}

/**
 * One round: the oldest captures (and, when a sweep step is due, what the sweep found) become events. It runs in
 * push-service's own transactions, never in a sale's: reads first (captures, states, then the payloads, built
 * from the committed rows), then one transaction records everything (capture-store.ts recordRound).
 *
 * The sweep reads before the captures do: a sale it sees committed has its capture committed too (the trigger
 * wrote it in the sale's transaction), so that capture is in this round's read, and the capture, not the sweep,
 * decides. A sweep step is left for a later round when the captures fill a whole round.
 */
export async function runCaptureRound(
  db: Database,
  store: CaptureStore,
  model: EventsModel,
  payloads: ReadonlyMap<string, PayloadStatements>,
  sweep: Sweep | null,
  options: { batchSize: number; logger: RoundLogger },
): Promise<RoundResult> {
  let step: SweepStep | null = sweep !== null && sweep.due() ? await sweep.step(db) : null;
  const captures = await store.readCaptures(options.batchSize);
  const more = captures.length >= options.batchSize;
  if (more) step = null;
  const observations = step?.observations ?? [];
  if (captures.length === 0 && observations.length === 0) {
    step?.advance();
    return { captures: 0, events: 0, unbuilt: 0, swept: 0, more: false };
  }

  const installationId = await store.installationId();
  const keys = [
    ...captures.flatMap((c) => (c.keyText === null ? [] : [{ sourceId: c.sourceId, keyText: c.keyText }])),
    ...observations.map((o) => ({ sourceId: o.sourceId, keyText: o.keyText })),
  ];
  const states = await store.readStates(keys);
  const plan = planTransitions(model, installationId, captures, observations, states);

  const built = await buildAll(db, payloads, plan.events);
  const events: OutboxEventRow[] = [];
  const unbuilt: UnbuiltEventRow[] = [];
  for (const planned of plan.events) {
    const result = built.get(planned.eventId)!;
    const base = { eventId: planned.eventId, eventType: planned.event.type };
    if (result.kind === 'built') events.push({ ...base, streamKey: result.streamKey, payload: result.payload });
    else {
      const marker: UnbuiltMarker = { payload_not_built: { source: planned.event.source.id, key: planned.keyText, transition: planned.transition, status: planned.status } };
      unbuilt.push({ ...base, streamKey: UNBUILT_STREAM, payload: JSON.stringify(marker), reason: `payload not built: ${result.reason}` });
    }
  }
  await store.recordRound({ captureIds: plan.captureIds, states: plan.states, events, unbuilt });
  step?.advance();

  for (const { capture, reason } of plan.ignored) options.logger.warn({ captureId: capture.captureId, source: capture.sourceId, key: capture.keyText }, `capture dropped: ${reason}`);
  for (const planned of plan.events.filter((e) => e.origin === 'sweep')) {
    options.logger.warn(
      { eventId: planned.eventId, eventType: planned.event.type, source: planned.event.source.id, key: planned.keyText },
      'event found by the reconciliation sweep: no trigger captured this row (a bulk load, or a trigger disabled or missing)',
    );
  }
  for (const dead of unbuilt) options.logger.warn({ eventId: dead.eventId, eventType: dead.eventType, reason: dead.reason }, 'event moved to dead letters: its payload could not be built (the sale itself is unaffected)');
  options.logger.debug({ captures: captures.length, events: events.length, unbuilt: unbuilt.length, swept: plan.swept }, 'capture round done');
  return { captures: captures.length, events: events.length, unbuilt: unbuilt.length, swept: plan.swept, more };
}

/** Payloads of the round's events, one query set per event type. */
async function buildAll(db: Database, payloads: ReadonlyMap<string, PayloadStatements>, planned: readonly PlannedEvent[]): Promise<Map<string, BuiltPayload>> {
  const byType = new Map<string, PlannedEvent[]>();
  for (const event of planned) byType.set(event.event.type, [...(byType.get(event.event.type) ?? []), event]);
  const results = new Map<string, BuiltPayload>();
  for (const [type, events] of byType) {
    const statements = payloads.get(type)!;
    const built = await buildPayloads(db, statements, events.map((e) => ({ keyText: e.keyText, status: e.status })));
    events.forEach((event, i) => results.set(event.eventId, built[i]!));
  }
  return results;
}
