import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The fleet harness's own smoke test, apart from the default suite (it starts central-api processes and a PDV
 * worker, and takes about half a minute): pnpm exec vitest run --config bench/fleet/vitest.config.ts
 */
export default defineConfig({
  root: fileURLToPath(new URL('../../', import.meta.url)),
  test: {
    include: ['bench/fleet/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
    setupFiles: ['test-support/leak-guard.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
