import type { AppContext } from '../app-context.js';
import type { Route } from '../http/route.js';
import { batchEventsRoute } from './batch-route.js';
import { singleEventRoute } from './single-event-route.js';

/** The push side of the sync contract: idempotent event ingest. */
export function ingestRoutes(context: AppContext): Route[] {
  return [batchEventsRoute(context), singleEventRoute(context)];
}
