import type { AppContext } from '../app-context.js';
import type { Route } from '../http/route.js';
import { batchEventsRoute } from './batch-route.js';
import type { IngestSettings } from './ingest-events.js';
import { startInboxRetentionSchedule } from './inbox-retention-schedule.js';
import { reconciliationRoute } from './reconciliation-route.js';
import { singleEventRoute } from './single-event-route.js';

/**
 * The push side of the sync contract: idempotent event ingest, and the sales figures a PDV reconciles with; and in
 * the background, the inbox retention (INBOX_RETENTION_DAYS), which the server's stop() ends.
 */
export function ingestRoutes(context: AppContext): Route[] {
  const settings: IngestSettings = {
    inbox: context.stores.inbox,
    handlers: context.config.EVENT_HANDLERS,
    lockTimeoutMs: context.config.INGEST_LOCK_TIMEOUT_MS,
  };
  const retention = startInboxRetentionSchedule({
    db: context.db,
    retentionDays: context.config.INBOX_RETENTION_DAYS,
    logger: context.logger.child({ component: 'inbox-retention' }),
    isStopping: context.stopping,
  });
  context.onStop(() => retention.stop());
  return [batchEventsRoute(context, settings), singleEventRoute(context, settings), reconciliationRoute(context)];
}
