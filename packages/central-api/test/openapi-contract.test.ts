import { describe, expect, it } from 'vitest';
import type { RawResponse } from './support/http-client.js';
import { expectMatchesOpenApi } from './support/openapi.js';

const response = (status: number, json: unknown, headers: Record<string, string> = {}, contentType = 'application/json'): RawResponse => {
  const text = JSON.stringify(json);
  return { status, headers: { 'content-type': contentType, ...headers }, raw: Buffer.from(text), text, json };
};

/** Every test answer goes through expectMatchesOpenApi; these cases show that it would catch a drift. */
describe('the openapi.yaml check itself', () => {
  const okItem = { index: 0, eventId: '00000000-0000-4000-8000-000000000001', status: 'applied', httpStatus: 201 };

  it('accepts a documented answer', () => {
    expect(() => expectMatchesOpenApi('POST', '/v1/events', response(200, { results: [okItem] }))).not.toThrow();
  });

  it.each([
    ['an undocumented status', response(418, {})],
    ['an unknown item status', response(200, { results: [{ ...okItem, status: 'done' }] })],
    ['an extra member in a result', response(200, { results: [{ ...okItem, extra: 1 }] })],
    ['a rejected item without its error', response(200, { results: [{ ...okItem, status: 'rejected', httpStatus: 400 }] })],
    ['a problem served as application/json', response(400, { type: 'urn:goldpdv:problem:invalid-request', title: 'x', status: 400 })],
    ['a 401 without WWW-Authenticate', response(401, { type: 'urn:goldpdv:problem:unauthorized', title: 'x', status: 401 }, {}, 'application/problem+json')],
    ['a 503 without Retry-After', response(503, { type: 'urn:goldpdv:problem:unavailable', title: 'x', status: 503 }, {}, 'application/problem+json')],
    ['a problem with an unknown type', response(400, { type: 'urn:other', title: 'x', status: 400 }, {}, 'application/problem+json')],
  ])('rejects %s', (_case, answer) => {
    expect(() => expectMatchesOpenApi('POST', '/v1/events', answer)).toThrow();
  });

  it('checks the one-event endpoint and the health endpoints too', () => {
    expect(() => expectMatchesOpenApi('POST', '/v1/events/abc', response(201, { eventId: 'not-a-uuid', status: 'applied' }))).toThrow(/uuid/);
    expect(() => expectMatchesOpenApi('GET', '/health/ready', response(200, { service: 'central-api', status: 'ok' }))).not.toThrow();
    expect(() => expectMatchesOpenApi('GET', '/health/live', response(200, { service: 'other', status: 'ok' }))).toThrow();
  });

  it('checks the reconciliation figures: exact decimal totals as strings, nothing undocumented', () => {
    const figure = { eventType: 'venda.finalizada', day: '2026-11-30', session: '7', events: 3, total: '65.86' };
    const body = { pdvId: 'loja01-pdv01', from: '2026-11-30', to: '2026-11-30', figures: [figure] };
    expect(() => expectMatchesOpenApi('GET', '/v1/reconciliation?from=2026-11-30', response(200, body))).not.toThrow();
    expect(() => expectMatchesOpenApi('GET', '/v1/reconciliation', response(200, { ...body, figures: [{ ...figure, total: 65.86 }] }))).toThrow();
    expect(() => expectMatchesOpenApi('GET', '/v1/reconciliation', response(200, { ...body, figures: [{ ...figure, net: 1 }] }))).toThrow();
    expect(() => expectMatchesOpenApi('GET', '/v1/reconciliation', response(200, { figures: [] }))).toThrow();
  });
});
