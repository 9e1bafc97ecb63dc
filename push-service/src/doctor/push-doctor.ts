import {
  centralChecks,
  centralTargetOf,
  compatibilityCheck,
  databaseAnswersCheck,
  permissionsCheck,
  schemaChangesCheck,
  syncObjectName,
  triggersCheck,
  warn,
  type Database,
  type DatabaseSettings,
  type DaemonEnv,
  type DoctorCheck,
  type PermissionNeed,
} from '@goldpdv/core';
import type { z } from 'zod';
import { BUNDLED_EVENTS_FILE, type pushEnv } from '../config.js';
import { loadEventsDeclaration } from '../events/declaration/load-declaration.js';
import { captureTriggers } from '../events/generate/events-script.js';
import { SYNC_TRIGGER_PREFIX } from './expected-triggers.js';

type PushConfig = DaemonEnv & z.infer<z.ZodObject<typeof pushEnv>>;

/**
 * `push-service doctor`: the database, the outbox tables and the permissions push-service needs, the triggers that
 * feed the outbox, and the central API as push-service reaches it.
 */
export function pushDoctorChecks(config: PushConfig, db: Database, settings: DatabaseSettings): DoctorCheck[] {
  const table = (name: string) => syncObjectName(db.dialect, name);
  const needs: PermissionNeed[] = [
    { kind: 'table', name: table('sync_outbox'), permissions: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'], why: 'claims, outcomes, retention, requeue' },
    { kind: 'table', name: table('sync_dead_letter'), permissions: ['SELECT', 'INSERT', 'DELETE'], why: 'dead letters and their requeue' },
  ];
  const central = centralChecks({
    db,
    pdvId: config.PDV_ID,
    target: centralTargetOf(config, { connectTimeoutMs: config.PUSH_CONNECT_TIMEOUT_MS, responseTimeoutMs: config.PUSH_RESPONSE_TIMEOUT_MS }),
  });
  const checks: DoctorCheck[] = [
    databaseAnswersCheck(db, settings),
    compatibilityCheck(db, settings),
    permissionsCheck(db, () => needs, `start push-service once with DB_SCHEMA_AUTO_APPLY=true, or apply common/${db.dialect}/pdv/ by hand (docs/operators-guide.md 1.2)`),
    schemaChangesCheck(db, config.DB_SCHEMA_AUTO_APPLY),
    triggersCheck(db, {
      ownedPrefix: SYNC_TRIGGER_PREFIX,
      installFix: 'push-service installs the capture triggers generated from PUSH_EVENTS_FILE at start; or print them for a DBA: node dist/cli.js outbox-triggers print',
      // The capture triggers the declared events need, one per declared table (docs/outbox.md).
      expected: () => captureTriggers(loadEventsDeclaration(config.PUSH_EVENTS_FILE || BUNDLED_EVENTS_FILE), db.dialect),
    }),
    ...central.checks,
  ];
  if (config.PUSH_MODE === 'per-event') {
    checks.push({
      name: 'per-event target',
      run: async () =>
        warn(
          'PUSH_MODE=per-event: events go to PUSH_EVENT_URL_TEMPLATE, which doctor does not call (the lines above are about CENTRAL_API_URL)',
          'send one test event to the per-event endpoint before the rollout',
        ),
    });
  }
  return checks;
}
