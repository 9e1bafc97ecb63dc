import type { AppContext } from './app-context.js';
import { backofficeRoutes } from './backoffice/routes.js';
import { deltaRoutes } from './deltas/index.js';
import { healthRoutes } from './health-routes.js';
import type { Route } from './http/route.js';
import { ingestRoutes } from './ingest/routes.js';
import { pdvRoutes } from './pdv/pdv-routes.js';

/** Every endpoint of the central API. A feature adds its routes here, one line (e.g. ...deltaRoutes(context)). */
export function buildRoutes(context: AppContext): Route[] {
  return [
    ...healthRoutes(context),
    ...ingestRoutes(context),
    ...deltaRoutes(context),
    ...pdvRoutes(context),
    ...backofficeRoutes(context),
  ];
}
