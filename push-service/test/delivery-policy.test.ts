import { describe, expect, it } from 'vitest';
import { TransientError } from '../../packages/core/src/errors/index.js';
import type { CentralAnswer } from '../src/api/central-push-client.js';
import { classifyStatus, DeliveryPolicy, type Verdict } from '../src/delivery/delivery-policy.js';
import type { OutboxRow, RowOutcome } from '../src/outbox/outbox-row.js';

/**
 * DESIGN.md, "What each answer leads to", walked row by row against the policy alone: answers are built here,
 * no request is sent (the client's requests are tested on real servers by the push-* suites).
 */

const BACKOFF = { baseMs: 100, capMs: 1_000 };
/** Half of the jitter window every time: attempt 3 waits min(1,000, 100 * 2^3) / 2 = 400 ms. */
const policy = new DeliveryPolicy(BACKOFF, () => 0.5);
const JITTER_AT_ATTEMPT_3 = 400;

function row(n: number, attempts = 3): OutboxRow {
  return {
    outboxId: String(n),
    eventId: `7c1c2a76-6f0e-4b43-9b8e-6b7f4f4f2a${String(n).padStart(2, '0')}`,
    eventType: 'venda.finalizada',
    streamKey: 'caixa:1',
    payload: '{"ok":true}',
    createdAt: '2026-11-30T13:20:01.123Z',
    attempts,
    claimCount: 1,
    leaseOwner: 'w/1',
  };
}

function answer(status: number, body = '', headers: Record<string, string> = {}): CentralAnswer {
  return { kind: 'answered', status, headers, body };
}

const problem = (status: number, title: string, detail: string) => JSON.stringify({ type: 'about:blank', title, status, detail });

function batchAnswer(items: { status: string; httpStatus: number; error?: { code: string; message: string } }[], rows: OutboxRow[]): CentralAnswer {
  return answer(200, JSON.stringify({ results: items.map((item, index) => ({ index, eventId: rows[index]!.eventId, ...item })) }));
}

function decided(verdict: ReturnType<DeliveryPolicy['judgeBatch']>): Verdict {
  if (verdict.kind !== 'decided') throw new Error(`expected a decided verdict, got ${verdict.kind}`);
  return verdict;
}

const kinds = (outcomes: RowOutcome[]) => outcomes.map((o) => o.kind);

describe('delivery policy, row by row of the design table', () => {
  describe('2xx, or a replayed stored result: the row is sent', () => {
    it.each([200, 201, 204])('one event answered %i is sent', (status) => {
      const verdict = policy.judgeEvent(row(1), answer(status));
      expect(verdict).toEqual({ kind: 'decided', outcomes: [{ kind: 'sent', row: row(1), httpStatus: status }], centralUnavailable: null });
    });

    it('batch items applied and duplicate (the stored result replayed) are sent', () => {
      const rows = [row(1), row(2)];
      const verdict = decided(policy.judgeBatch(rows, batchAnswer([{ status: 'applied', httpStatus: 201 }, { status: 'duplicate', httpStatus: 200 }], rows)));
      expect(verdict.outcomes).toEqual([
        { kind: 'sent', row: rows[0], httpStatus: 201 },
        { kind: 'sent', row: rows[1], httpStatus: 200 },
      ]);
      expect(verdict.centralUnavailable).toBeNull();
    });
  });

  describe('409 (still in progress): retry later with the same key', () => {
    it('one event answered 409 is retried as it is, no sooner than Retry-After, and the central API is not reported down', () => {
      const held = row(1);
      const verdict = policy.judgeEvent(held, answer(409, problem(409, 'Conflict', 'in progress'), { 'retry-after': '2' }));
      expect(verdict.outcomes).toEqual([{ kind: 'retry', row: held, delayMs: 2_000, error: '409 Conflict: in progress', httpStatus: 409 }]);
      expect(verdict.outcomes[0]!.row.eventId).toBe(held.eventId);
      expect(verdict.centralUnavailable).toBeNull();
    });

    it('a batch item "retry" 409 is retried, and the rest of the batch is not held by it', () => {
      const rows = [row(1), row(2)];
      const verdict = decided(
        policy.judgeBatch(rows, batchAnswer([{ status: 'retry', httpStatus: 409, error: { code: 'in_progress', message: 'held' } }, { status: 'applied', httpStatus: 201 }], rows)),
      );
      expect(verdict.outcomes[0]).toEqual({ kind: 'retry', row: rows[0], delayMs: JITTER_AT_ATTEMPT_3, error: '409 in_progress: held', httpStatus: 409 });
      expect(kinds(verdict.outcomes)).toEqual(['retry', 'sent']);
      expect(verdict.centralUnavailable).toBeNull();
    });
  });

  describe('422 (same key, different payload) or another 4xx: dead letter with the reason; the queue does not stall', () => {
    it.each([
      [422, 'Unprocessable Content', 'payload differs'],
      [400, 'Bad Request', 'rejected'],
      [404, 'Not Found', 'no such route'],
      [413, 'Content Too Large', 'too big'],
    ])('one event answered %i goes to dead letters with the problem as its reason', (status, title, detail) => {
      const verdict = policy.judgeEvent(row(1), answer(status, problem(status, title, detail)));
      expect(verdict.outcomes).toEqual([{ kind: 'dead', row: row(1), reason: `${status} ${title}: ${detail}`, httpStatus: status }]);
      expect(verdict.centralUnavailable).toBeNull();
    });

    it('batch items conflict and rejected go to dead letters with their reasons, and the others are sent', () => {
      const rows = [row(1), row(2), row(3)];
      const verdict = decided(
        policy.judgeBatch(
          rows,
          batchAnswer(
            [
              { status: 'conflict', httpStatus: 422, error: { code: 'payload_conflict', message: 'stored with another payload' } },
              { status: 'applied', httpStatus: 201 },
              { status: 'rejected', httpStatus: 400, error: { code: 'invalid', message: 'bad field' } },
            ],
            rows,
          ),
        ),
      );
      expect(verdict.outcomes).toEqual([
        { kind: 'dead', row: rows[0], reason: '422 payload_conflict: stored with another payload', httpStatus: 422 },
        { kind: 'sent', row: rows[1], httpStatus: 201 },
        { kind: 'dead', row: rows[2], reason: '400 invalid: bad field', httpStatus: 400 },
      ]);
    });

    it('a batch refused as a whole is split to find the event at fault, which alone goes to dead letters', () => {
      const refused = answer(400, problem(400, 'Bad Request', 'events[1].payload'));
      expect(policy.judgeBatch([row(1), row(2), row(3)], refused)).toEqual({ kind: 'split' });
      expect(decided(policy.judgeBatch([row(2)], refused)).outcomes).toEqual([{ kind: 'dead', row: row(2), reason: '400 Bad Request: events[1].payload', httpStatus: 400 }]);
    });
  });

  describe('429, 5xx, timeout, network error: retry at max(full-jitter backoff, Retry-After)', () => {
    it.each([429, 500, 502, 503, 504])('one event answered %i is retried and the central API reported unavailable', (status) => {
      const verdict = policy.judgeEvent(row(1), answer(status, 'busy'));
      expect(verdict.outcomes).toEqual([{ kind: 'retry', row: row(1), delayMs: JITTER_AT_ATTEMPT_3, error: `${status} busy`, httpStatus: status }]);
      expect(verdict.centralUnavailable).toBe(`${status} busy`);
    });

    it('Retry-After wins when it asks for longer than the backoff, the backoff when it is shorter', () => {
      expect(policy.judgeEvent(row(1), answer(503, '', { 'retry-after': '5' })).outcomes[0]).toMatchObject({ kind: 'retry', delayMs: 5_000 });
      expect(policy.judgeEvent(row(1), answer(429, '', { 'retry-after': '0' })).outcomes[0]).toMatchObject({ kind: 'retry', delayMs: JITTER_AT_ATTEMPT_3 });
    });

    it('the backoff is full jitter: uniform below min(cap, base * 2^attempts)', () => {
      const at = (random: number, attempts: number) => new DeliveryPolicy(BACKOFF, () => random).retryDelayMs(row(1, attempts), null);
      expect([at(0, 3), at(0.5, 0), at(0.5, 2), at(0.999, 2)]).toEqual([0, 50, 200, 399]);
      // The cap bounds every delay, however many attempts came before.
      expect(at(0.999, 40)).toBe(999);
    });

    it('a timeout or a network error retries every row of the request, without a status, and reports the central API unavailable', () => {
      const rows = [row(1), row(2)];
      const verdict = decided(policy.judgeBatch(rows, { kind: 'unanswered', error: new TransientError('connect ECONNREFUSED 127.0.0.1:9') }));
      expect(verdict.outcomes).toEqual(rows.map((r) => ({ kind: 'retry', row: r, delayMs: JITTER_AT_ATTEMPT_3, error: 'connect ECONNREFUSED 127.0.0.1:9', httpStatus: null })));
      expect(verdict.centralUnavailable).toBe('connect ECONNREFUSED 127.0.0.1:9');
    });

    it('a batch answered 503 as a whole retries every row after Retry-After', () => {
      const verdict = decided(policy.judgeBatch([row(1), row(2)], answer(503, problem(503, 'Service Unavailable', 'database down'), { 'retry-after': '3' })));
      expect(verdict.outcomes.map((o) => (o.kind === 'retry' ? [o.delayMs, o.httpStatus] : o.kind))).toEqual([
        [3_000, 503],
        [3_000, 503],
      ]);
      expect(verdict.centralUnavailable).toBe('503 Service Unavailable: database down');
    });
  });

  describe('answers outside the table, as the worker has always treated them', () => {
    it.each([401, 403])('%i is the client refused, not the event: retried, never a dead letter, the central API reported unavailable', (status) => {
      const rows = [row(1), row(2)];
      for (const verdict of [policy.judgeEvent(rows[0]!, answer(status, 'token refused')), decided(policy.judgeBatch(rows, answer(status, 'token refused')))]) {
        expect(verdict.outcomes.every((o) => o.kind === 'retry')).toBe(true);
        expect(verdict.centralUnavailable).toBe(`${status} token refused`);
      }
    });

    it('a 200 whose body is not a batch result retries the batch and reports the central API unavailable', () => {
      const verdict = decided(policy.judgeBatch([row(1)], answer(200, '<html>proxy login</html>')));
      expect(kinds(verdict.outcomes)).toEqual(['retry']);
      expect(verdict.centralUnavailable).toBe('the central API answered 200 with a body that is not a batch result');
    });

    it('an event the batch result leaves out, or answers for another event id, is retried', () => {
      const rows = [row(1), row(2)];
      const results = { results: [{ index: 1, eventId: row(9).eventId, status: 'applied', httpStatus: 201 }] };
      const verdict = decided(policy.judgeBatch(rows, answer(200, JSON.stringify(results))));
      expect(verdict.outcomes).toEqual(rows.map((r) => ({ kind: 'retry', row: r, delayMs: JITTER_AT_ATTEMPT_3, error: 'the central API returned no result for this event', httpStatus: 200 })));
      expect(verdict.centralUnavailable).toBeNull();
    });

    it('classifies every status once, for a batch answer and a one-event answer alike', () => {
      const statuses = [100, 200, 201, 204, 301, 400, 401, 403, 404, 408, 409, 413, 422, 425, 429, 500, 503];
      expect(Object.fromEntries(statuses.map((s) => [s, classifyStatus(s)]))).toEqual({
        100: 'unavailable',
        200: 'delivered',
        201: 'delivered',
        204: 'delivered',
        301: 'refused',
        400: 'refused',
        401: 'unavailable',
        403: 'unavailable',
        404: 'refused',
        408: 'unavailable',
        409: 'in-progress',
        413: 'refused',
        422: 'refused',
        425: 'unavailable',
        429: 'unavailable',
        500: 'unavailable',
        503: 'unavailable',
      });
    });
  });
});
