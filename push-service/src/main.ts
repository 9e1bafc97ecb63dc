#!/usr/bin/env node
import { runDaemon } from '@goldpdv/core';
import { pushEnv, PUSH_SECRET_VARIABLES } from './config.js';
import { createPushWorker } from './sync-push.js';

await runDaemon({
  service: 'push-service',
  schemaRole: 'pdv',
  env: pushEnv,
  secretVariables: PUSH_SECRET_VARIABLES,
  logContext: (config) => ({ pdvId: config.PDV_ID }),
  createWorker: (context) => createPushWorker(context),
});
