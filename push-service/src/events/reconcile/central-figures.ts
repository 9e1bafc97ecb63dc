import { z } from 'zod';
import { ContractError, describeProblem, type EventFigure, type HttpClient } from '@goldpdv/core';
import type { ReconciliationModel } from '../declaration/events-model.js';

const figuresResponse = z.object({
  figures: z.array(
    z.object({
      eventType: z.string(),
      day: z.string(),
      session: z.string(),
      events: z.number().int(),
      total: z.string(),
    }),
  ),
});

/**
 * GET /v1/reconciliation: what the central inbox holds of this PDV's sale events for the days `from`..`to`, per
 * event type, day and session, with the sum of the declared total field. The query names the fields, so that the
 * central API needs no copy of this PDV's declaration.
 */
export async function fetchCentralFigures(
  http: HttpClient,
  endpoint: { baseUrl: string; token: string },
  reconciliation: ReconciliationModel,
  days: { from: string; to: string },
): Promise<EventFigure[]> {
  const query = new URLSearchParams({ from: days.from, to: days.to });
  for (const event of [reconciliation.event, ...reconciliation.minus]) query.append('type', event.type);
  query.set('dayField', reconciliation.dayField);
  query.set('sessionField', reconciliation.sessionField);
  query.set('totalField', reconciliation.totalField);
  const url = `${endpoint.baseUrl.replace(/\/$/, '')}/v1/reconciliation?${query.toString()}`;
  const response = await http.get(url, { authorization: `Bearer ${endpoint.token}` });
  if (response.status !== 200) {
    throw new ContractError(`GET /v1/reconciliation answered ${describeProblem(response)}`, { context: { status: response.status } });
  }
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch (cause) {
    throw new ContractError('GET /v1/reconciliation answered with a body that is not JSON', { cause });
  }
  const parsed = figuresResponse.safeParse(body);
  if (!parsed.success) throw new ContractError(`GET /v1/reconciliation answered an unexpected body: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data.figures;
}
