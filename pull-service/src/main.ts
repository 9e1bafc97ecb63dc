#!/usr/bin/env node
import { runDaemon } from '@goldpdv/core';
import { pullEnv, PULL_SECRET_VARIABLES } from './config.js';
import { createPullWorker } from './sync-pull.js';

await runDaemon({
  service: 'pull-service',
  schemaRole: 'pdv',
  env: pullEnv,
  secretVariables: PULL_SECRET_VARIABLES,
  logContext: (config) => ({ pdvId: config.PDV_ID }),
  createWorker: (context) => createPullWorker(context),
});
