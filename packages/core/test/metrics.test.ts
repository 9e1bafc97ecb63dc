import { afterEach, describe, expect, it } from 'vitest';
import { applySchema } from '../src/db/schema-runner.js';
import { describeBackends, type TestDatabase } from './support/backends.js';
import { scrape } from './support/prometheus-text.js';
import { DAEMON_ENTRY, spawnDaemon, waitFor, type SpawnedDaemon } from './support/spawn-daemon.js';

describeBackends('GET /metrics of a daemon', (backend) => {
  const running: SpawnedDaemon[] = [];
  const databases: TestDatabase[] = [];
  afterEach(async () => {
    for (const daemon of running.splice(0)) {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
    for (const db of databases.splice(0)) await db.dispose();
  });

  describe.each(Object.entries(DAEMON_ENTRY))('%s', (service, entry) => {
    it('serves valid Prometheus text with the cycle histogram and the process metrics', async () => {
      const db = await backend.create({ shared: true });
      databases.push(db);
      await applySchema(db.db, { role: 'pdv' });
      const daemon = spawnDaemon(entry, {
        PDV_ID: 'loja01-pdv01',
        // Nothing listens there: the cycles still run (and are timed) while the central API is unreachable.
        CENTRAL_API_URL: 'http://127.0.0.1:9',
        CENTRAL_API_TOKEN: 'token',
        DB_URL: db.url!,
        HEALTH_HOST: '127.0.0.1',
        HEALTH_PORT: '0',
        START_JITTER_MS: '0',
        POLL_INTERVAL_MS: '100',
        PULL_LONG_POLL_MS: '0',
      });
      running.push(daemon);
      const port = await waitFor(async () => /"healthPort":(\d+)/.exec(daemon.stdout())?.[1], 30_000, 'the health port in the logs');
      const url = `http://127.0.0.1:${port}/metrics`;
      const metrics = await waitFor(async () => {
        const scraped = await scrape(url);
        return (scraped.value('goldpdv_cycle_duration_seconds_count', { service }) ?? 0) >= 2 ? scraped : null;
      }, 30_000, 'two timed cycles');

      expect(metrics.types.get('goldpdv_cycle_duration_seconds')).toBe('histogram');
      const count = metrics.value('goldpdv_cycle_duration_seconds_count', { service })!;
      expect(metrics.value('goldpdv_cycle_duration_seconds_bucket', { service, le: '+Inf' })).toBe(count);
      expect(metrics.value('goldpdv_cycle_duration_seconds_sum', { service })).toBeGreaterThanOrEqual(0);
      // Buckets are cumulative: never decreasing with `le`.
      const buckets = metrics.samples.filter((s) => s.name === 'goldpdv_cycle_duration_seconds_bucket').map((s) => s.value);
      expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
      // Default process metrics of this very process.
      expect(metrics.types.get('process_cpu_user_seconds_total')).toBe('counter');
      expect(metrics.value('process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(metrics.value('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    }, 60_000);
  });
});
