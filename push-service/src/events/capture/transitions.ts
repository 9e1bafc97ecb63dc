import type { EventModel, EventsModel, SourceModel } from '../declaration/events-model.js';
import { eventIdOf } from './event-id.js';

/** A row of sync_capture: what a trigger saw, in the POS program's transaction. */
export interface Capture {
  captureId: string;
  sourceId: string;
  keyText: string | null;
  op: 'I' | 'U';
  newStatus: string | null;
}

/** What the sweep found: a source row whose status the recorded state does not account for (or no state at all). */
export interface Observation {
  sourceId: string;
  keyText: string;
  status: string | null;
  /** The aggregate's state as the sweep's statement read it, to tell whether a capture has moved it since. */
  seenState: AggregateState | null;
}

/** sync_event_state of one aggregate. */
export interface AggregateState {
  lastStatus: string | null;
  transitions: number;
}

export interface PlannedEvent {
  event: EventModel;
  keyText: string;
  transition: number;
  eventId: string;
  /** The status this event fired for (a status event), which its payload's status fields carry. */
  status?: string | null;
  /** 'sweep': the triggers never captured it (a bulk load, a disabled trigger), the sweep found it. */
  origin: 'trigger' | 'sweep';
}

export interface StateWrite {
  sourceId: string;
  keyText: string;
  /** What the database holds now (null: no row yet); the write applies only if it still does. */
  before: AggregateState | null;
  after: AggregateState;
}

export interface TransitionPlan {
  events: PlannedEvent[];
  states: StateWrite[];
  /** Captures consumed by this plan, events or not. */
  captureIds: string[];
  /** Captures that name no declared table, or no key: consumed, with the reason logged. */
  ignored: { capture: Capture; reason: string }[];
  /** Sweep findings that became events. */
  swept: number;
}

export const stateKey = (sourceId: string, keyText: string) => `${sourceId}\u0000${keyText}`;

/**
 * Turns captures (in capture order) and then the sweep's observations into events, one aggregate at a time:
 * - a row never seen before fires its table's insert events;
 * - a status that differs from the recorded one fires each status event whose `to` holds it (and whose `from`
 *   holds the recorded status, when it has one), and becomes the recorded status;
 * - the same status again (a trigger that fired twice, the sweep finding what a trigger captured) fires nothing.
 * Every event advances the aggregate's transition count, which is part of its id (event-id.ts). An observation
 * is used only for an aggregate that no capture of this round touched and whose state is still what the sweep
 * read: a capture is what the POS program did, the sweep only fills in what no trigger saw.
 */
export function planTransitions(
  model: EventsModel,
  installationId: string,
  captures: readonly Capture[],
  observations: readonly Observation[],
  states: ReadonlyMap<string, AggregateState>,
): TransitionPlan {
  const sources = new Map(model.sources.map((source) => [source.id, source]));
  const working = new Map<string, { before: AggregateState | null; now: AggregateState | null }>();
  const plan: TransitionPlan = { events: [], states: [], captureIds: [], ignored: [], swept: 0 };
  const touched = new Set<string>();

  const apply = (source: SourceModel, keyText: string, status: string | null, origin: PlannedEvent['origin']) => {
    const key = stateKey(source.id, keyText);
    let entry = working.get(key);
    if (entry === undefined) {
      const stored = states.get(key) ?? null;
      entry = { before: stored, now: stored };
      working.set(key, entry);
    }
    const state = entry.now;
    let transitions = state?.transitions ?? 0;
    const emit = (event: EventModel) => {
      transitions += 1;
      const fired = event.firing.kind === 'status' ? { status } : {};
      plan.events.push({ event, keyText, transition: transitions, eventId: eventIdOf(installationId, event.type, keyText, transitions), origin, ...fired });
      if (origin === 'sweep') plan.swept += 1;
    };
    if (state === null) for (const event of source.events) if (event.firing.kind === 'insert') emit(event);
    let lastStatus = state?.lastStatus ?? null;
    if (source.statusColumn !== null && (state === null ? status !== null : status !== state.lastStatus)) {
      const previous = state?.lastStatus ?? null;
      for (const event of source.events) {
        const firing = event.firing;
        if (firing.kind !== 'status' || status === null || !firing.to.includes(status)) continue;
        if (firing.from !== null && (previous === null || !firing.from.includes(previous))) continue;
        emit(event);
      }
      lastStatus = status;
    }
    entry.now = { lastStatus, transitions };
  };

  for (const capture of captures) {
    plan.captureIds.push(capture.captureId);
    const source = sources.get(capture.sourceId);
    if (source === undefined) plan.ignored.push({ capture, reason: `${capture.sourceId} is not a source table of the installed declaration` });
    else if (capture.keyText === null) plan.ignored.push({ capture, reason: 'the captured key is NULL' });
    else {
      touched.add(stateKey(source.id, capture.keyText));
      apply(source, capture.keyText, capture.newStatus, 'trigger');
    }
  }
  for (const observation of observations) {
    const source = sources.get(observation.sourceId);
    const key = stateKey(observation.sourceId, observation.keyText);
    if (source === undefined || touched.has(key)) continue;
    const stored = states.get(key) ?? null;
    if (!sameState(stored, observation.seenState)) continue;
    apply(source, observation.keyText, observation.status, 'sweep');
  }

  for (const [key, { before, now }] of working) {
    if (now === null || sameState(before, now)) continue;
    const [sourceId, keyText] = key.split('\u0000') as [string, string];
    plan.states.push({ sourceId, keyText, before, after: now });
  }
  return plan;
}

function sameState(a: AggregateState | null, b: AggregateState | null): boolean {
  if (a === null || b === null) return a === b;
  return a.lastStatus === b.lastStatus && a.transitions === b.transitions;
}
