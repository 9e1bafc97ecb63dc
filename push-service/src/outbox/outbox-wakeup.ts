import { notificationListenerFor, type DatabaseEnv, type NotificationListener, type Queryable } from '@goldpdv/core';

/** The channel that common/postgres/pdv/0014_outbox_wakeup.sql notifies when captures or outbox rows are added. */
export const OUTBOX_WAKEUP_CHANNEL = 'sync_outbox_wakeup';

/**
 * The outbox's wake-up on a PostgreSQL server: a connection of its own that LISTENs for the notification the
 * outbox and capture triggers raise at commit. The worker polls the outbox rarely while it listens, and a
 * notification cuts the pause short; while it cannot listen, and on any other database (null), the worker polls
 * at POLL_INTERVAL_MS.
 */
export function createOutboxWakeup(env: DatabaseEnv, db: Queryable, logger: Parameters<typeof notificationListenerFor>[2]): NotificationListener | null {
  return notificationListenerFor(env, db, logger, {
    channel: OUTBOX_WAKEUP_CHANNEL,
    subject: 'outbox',
    fallback: 'polling the outbox at POLL_INTERVAL_MS',
    applicationName: 'push-service-wakeup',
  });
}
