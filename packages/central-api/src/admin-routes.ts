import type { AppContext } from './app-context.js';
import { adminAccess } from './admin/admin-token.js';
import { renderFleetPage } from './admin/fleet-page.js';
import type { Route } from './http/route.js';
import { countByState, readFleet } from './pdv/fleet.js';
import { fleetThresholdsOf } from './pdv/pdv-config.js';

/**
 * The admin port's routes (ADMIN_HOST:ADMIN_PORT), apart from the public API: what only the operators of the
 * VPS and its monitoring read.
 */
export function adminRoutes(context: AppContext): Route[] {
  return [
    {
      // No auth: the admin port listens on a private address; it holds counters, no PDV data.
      method: 'GET',
      path: '/metrics',
      async handle() {
        const metrics = await context.metrics.payload();
        return { status: 200, body: metrics.body, contentType: metrics.contentType };
      },
    },
    {
      // PDV data: behind ADMIN_TOKEN even on the private address; without one configured, not served at all.
      method: 'GET',
      path: '/fleet',
      async handle(request) {
        const text = (status: number, body: string, headers?: Record<string, string>) => ({ status, body: `${body}\n`, contentType: 'text/plain; charset=utf-8', headers });
        const access = adminAccess(request.headers, context.config.ADMIN_TOKEN);
        if (access === 'no-token-configured') return text(404, 'the fleet page is not served: set ADMIN_TOKEN on central-api to turn it on (or use central-api fleet)');
        if (access === 'refused') return text(401, 'the fleet page needs the admin token: Authorization: Bearer <ADMIN_TOKEN>', { 'www-authenticate': 'Bearer realm="goldpdv-admin"' });
        const now = new Date();
        const fleet = await readFleet(context.db, context.stores, {}, fleetThresholdsOf(context.config), now);
        return { status: 200, body: renderFleetPage(fleet, countByState(fleet), now), contentType: 'text/html; charset=utf-8', headers: { 'cache-control': 'no-store' } };
      },
    },
  ];
}
