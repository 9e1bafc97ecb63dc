import { checkPdvStatusReport, PDV_STATUS_PATH } from '@goldpdv/core';
import type { AppContext } from '../app-context.js';
import { badRequest } from '../http/problem.js';
import type { Route } from '../http/route.js';

/**
 * GET /v1/pdv: who the bearer token says the caller is. `doctor` on a PDV reads it to check that the token in
 * its .env belongs to its own PDV_ID (a token of another PDV is accepted, and then every event is refused).
 *
 * POST /v1/pdv/status: a daemon's status report for the fleet view. The PDV is the token's: a report cannot
 * speak for another PDV. It is kept in memory and stored with the others every FLEET_FLUSH_INTERVAL_MS.
 */
export function pdvRoutes(context: AppContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/pdv',
      async handle(request) {
        const caller = await context.auth.authenticate(request.headers);
        return { status: 200, body: { pdvId: caller.pdvId, lojaId: caller.lojaId } };
      },
    },
    {
      method: 'POST',
      path: PDV_STATUS_PATH,
      async handle(request) {
        const caller = await context.auth.authenticate(request.headers);
        const checked = checkPdvStatusReport(await request.readJson());
        if (!checked.ok) throw badRequest(`invalid status report: ${checked.problem}`, checked.field);
        context.statusReports.note(caller.pdvId, checked.report);
        return { status: 202, body: { accepted: true } };
      },
    },
  ];
}
