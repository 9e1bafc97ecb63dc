#!/usr/bin/env node
import { runDaemon } from '@goldpdv/core';
import { pushEnv, PUSH_SECRET_VARIABLES } from './config.js';
import { readOutboxBacklog } from './outbox-backlog.js';

await runDaemon({
  service: 'push-service',
  schemaRole: 'pdv',
  env: pushEnv,
  secretVariables: PUSH_SECRET_VARIABLES,
  logContext: (config) => ({ pdvId: config.PDV_ID }),
  createWorker: ({ db, health }) => ({
    async runCycle() {
      const backlog = await readOutboxBacklog(db);
      health.setInfo('outboxPending', backlog.pending);
      health.setInfo('oldestPendingAgeSeconds', backlog.oldestPendingAgeSeconds);
      health.setInfo('deadLetters', backlog.deadLetters);
    },
  }),
});
