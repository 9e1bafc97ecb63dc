#!/usr/bin/env node
import { runDaemon } from '@goldpdv/core';
import { pullEnv, PULL_SECRET_VARIABLES } from './config.js';
import { readCheckpointSummary } from './checkpoints.js';

await runDaemon({
  service: 'pull-service',
  schemaRole: 'pdv',
  env: pullEnv,
  secretVariables: PULL_SECRET_VARIABLES,
  logContext: (config) => ({ pdvId: config.PDV_ID }),
  createWorker: ({ db, health }) => ({
    async runCycle() {
      const summary = await readCheckpointSummary(db);
      health.setInfo('trackedTables', summary.tables);
      health.setInfo('failingTables', summary.failingTables);
    },
  }),
});
