import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'pull-service/test/**/*.test.ts', 'push-service/test/**/*.test.ts'],
    // Suites share one PostgreSQL server and spawn daemons; two workers fit a 2-core machine. Test files share
    // their worker process (isolate: false): a file no longer pays a process start, the imports and the first
    // PGlite start (WebAssembly compile and initdb) again, which halves the run. Every file opens and drops its
    // own databases, servers and daemons, and the leak guard fails one that leaves any of them behind.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1, isolate: false } },
    // Fails a test file that leaves a pool, server, child process or timer open.
    setupFiles: ['test-support/leak-guard.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
