import type { AppContext } from '../app-context.js';
import { badRequest } from '../http/problem.js';
import type { Route } from '../http/route.js';
import { EVENT_TYPE_PATTERN } from '@goldpdv/core';
import { FIGURE_FIELD, reconciliationStoreFor, type FiguresQuery } from './reconciliation-store.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MAX_DAYS = 31;
const MAX_TYPES = 10;

/**
 * GET /v1/reconciliation: what the inbox holds of the calling PDV's sale events for a range of days, per event
 * type, day and session, with the sum of a total field, so that the PDV can compare them with its own sales
 * (core's reconcileFigures). The PDV names the event types and the payload fields of its declaration; nothing
 * here needs a copy of it. Only the caller's own events are counted.
 */
export function reconciliationRoute(context: AppContext): Route {
  const store = reconciliationStoreFor(context.db.dialect);
  return {
    method: 'GET',
    path: '/v1/reconciliation',
    async handle(request) {
      const pdv = await context.auth.authenticate(request.headers);
      const query = parseQuery(request.query, pdv.pdvId);
      const figures = await store.figures(context.db, query);
      return { status: 200, body: { pdvId: pdv.pdvId, from: query.from, to: query.to, figures } };
    },
  };
}

function parseQuery(params: URLSearchParams, pdvId: string): FiguresQuery {
  const one = (name: string): string => {
    const values = params.getAll(name);
    if (values.length !== 1 || values[0] === '') throw badRequest(`${name} is required, once`, name);
    return values[0]!;
  };
  const from = one('from');
  const to = one('to');
  for (const [name, day] of [['from', from], ['to', to]] as const) {
    if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) throw badRequest(`${name} must be a day, yyyy-mm-dd`, name);
  }
  const span = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;
  if (span < 0 || span >= MAX_DAYS) throw badRequest(`from..to must be 1 to ${MAX_DAYS} days, from first`, 'to');
  const types = params.getAll('type');
  if (types.length === 0 || types.length > MAX_TYPES) throw badRequest(`type must be given 1 to ${MAX_TYPES} times`, 'type');
  for (const type of types) if (type.length > 64 || !EVENT_TYPE_PATTERN.test(type)) throw badRequest('type must look like "venda.finalizada"', 'type');
  const field = (name: string) => {
    const value = one(name);
    if (!FIGURE_FIELD.test(value)) throw badRequest(`${name} must be a payload field name (letters, digits, underscore)`, name);
    return value;
  };
  return { pdvId, from, to, types, dayField: field('dayField'), sessionField: field('sessionField'), totalField: field('totalField') };
}
