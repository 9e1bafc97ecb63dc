import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * `pnpm test:mssql`: every backend suite on SQL Server only (TEST_BACKENDS=mssql), on the server TEST_MSSQL_URL
 * names or on one SQL Server 2022 container started for the run. The T-SQL grammar tests run as in `pnpm test`.
 */
export default mergeConfig(
  base,
  defineConfig({
    test: {
      globalSetup: ['test-support/mssql-global-setup.ts'],
      env: { TEST_BACKENDS: 'mssql' },
      // A SQL Server container is slower to create a database in than PGlite: more room for hooks.
      hookTimeout: 180_000,
    },
  }),
);
