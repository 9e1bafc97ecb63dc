import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { classifyError, isTransientError } from '../src/retry/classify-error.js';
import { fullJitterDelayMs, jitteredIntervalMs } from '../src/retry/backoff.js';
import { withRetry } from '../src/retry/with-retry.js';
import { ConfigError, ContractError, PermanentError, TransientError } from '../src/errors/index.js';
import { createPostgresDatabase } from '../src/db/postgres.js';
import { describeBackends, type TestDatabase } from './support/backends.js';

/** Builds an error the way a driver does: a message plus driver fields. */
const driverError = (fields: Record<string, unknown>) => Object.assign(new Error(String(fields.message ?? 'driver error')), fields);

describe('transient error classification', () => {
  it.each([
    [{ number: 1205 }, 'mssql:1205'],
    [{ number: 40613 }, 'mssql:40613'],
    [{ code: 'ESOCKET' }, 'mssql:ESOCKET'],
    [{ code: 'ETIMEOUT' }, 'mssql:ETIMEOUT'],
    [{ code: '40001' }, 'pg:40001'],
    [{ code: '40P01' }, 'pg:40P01'],
    [{ code: '57P01' }, 'pg:57P01'],
    [{ code: '08006' }, 'pg:08006'],
    [{ code: '08P01' }, 'pg:08P01'],
    [{ code: 'ECONNRESET' }, 'net:ECONNRESET'],
    [{ code: 'ETIMEDOUT' }, 'net:ETIMEDOUT'],
    [{ code: 'ECONNREFUSED' }, 'net:ECONNREFUSED'],
    [{ code: 'EAI_AGAIN' }, 'net:EAI_AGAIN'],
    [{ message: 'Connection terminated unexpectedly' }, 'pg:connection-lost'],
  ])('%o is transient (%s)', (fields, reason) => {
    expect(classifyError(driverError(fields))).toEqual({ transient: true, reason });
  });

  it.each([
    [{ number: 2627 }], // unique key violation
    [{ number: 8152 }], // string would be truncated
    [{ code: '23505' }], // unique_violation
    [{ code: '22P02' }], // invalid_text_representation
    [{ code: '42601' }], // syntax_error
    [{ code: 'ENOENT' }],
    [{ message: 'something else' }],
  ])('%o is permanent', (fields) => {
    expect(isTransientError(driverError(fields))).toBe(false);
  });

  it('looks through cause chains and mssql originalError wrappers', () => {
    const wrapped = new Error('request failed', { cause: Object.assign(new Error('x'), { originalError: driverError({ number: 1205 }) }) });
    expect(classifyError(wrapped)).toEqual({ transient: true, reason: 'mssql:1205' });
    const aggregate = new AggregateError([new Error('a'), driverError({ code: 'ECONNREFUSED' })], 'all attempts failed');
    expect(isTransientError(aggregate)).toBe(true);
  });

  it('lets typed errors decide for themselves, even over a transient cause', () => {
    const cause = driverError({ code: 'ECONNRESET' });
    expect(isTransientError(new TransientError('retry me'))).toBe(true);
    expect(isTransientError(new PermanentError('no', { cause }))).toBe(false);
    expect(isTransientError(new ContractError('bad page', { cause }))).toBe(false);
    expect(isTransientError(new ConfigError('DB_URL', 'bad'))).toBe(false);
  });

  it('survives cyclic cause chains', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isTransientError(a)).toBe(false);
  });
});

describe('full jitter backoff', () => {
  it('stays within [0, min(cap, base * 2^attempt))', () => {
    const policy = { baseMs: 100, capMs: 1_000 };
    expect(fullJitterDelayMs(0, policy, () => 0.999)).toBe(99);
    expect(fullJitterDelayMs(3, policy, () => 0.5)).toBe(400);
    expect(fullJitterDelayMs(20, policy, () => 0.999)).toBe(999);
    expect(fullJitterDelayMs(5, policy, () => 0)).toBe(0);
  });

  it('spreads delays over the whole window', () => {
    const delays = Array.from({ length: 2_000 }, () => fullJitterDelayMs(4, { baseMs: 100, capMs: 10_000 }));
    expect(Math.min(...delays)).toBeLessThan(100);
    expect(Math.max(...delays)).toBeGreaterThan(1_500);
    expect(Math.max(...delays)).toBeLessThan(1_600);
  });

  it('jitters an interval by the given fraction', () => {
    expect(jitteredIntervalMs(1_000, 0.2, () => 0)).toBe(800);
    expect(jitteredIntervalMs(1_000, 0.2, () => 1)).toBe(1_200);
  });
});

describe('withRetry', () => {
  it('retries transient failures and returns the eventual result', async () => {
    let calls = 0;
    const retries: string[] = [];
    const value = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw driverError({ code: '40P01', message: 'deadlock detected' });
        return 'ok';
      },
      { baseMs: 1, capMs: 5, onRetry: ({ reason }) => retries.push(reason) },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(3);
    expect(retries).toEqual(['pg:40P01', 'pg:40P01']);
  });

  it('never retries a permanent error', async () => {
    let calls = 0;
    const error = driverError({ code: '23505', message: 'duplicate key' });
    await expect(
      withRetry(async () => {
        calls += 1;
        throw error;
      }, { baseMs: 1 }),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
  });

  it('gives up after the configured retries with the last error', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls += 1;
        throw new TransientError(`attempt ${calls}`);
      }, { retries: 2, baseMs: 1, capMs: 2 }),
    ).rejects.toThrow('attempt 3');
    expect(calls).toBe(3);
  });
});

describeBackends(
  'retry against a real backend killed mid-query',
  (backend) => {
    let t: TestDatabase;
    beforeEach(async () => {
      t = await backend.create();
    });
    afterEach(async () => {
      await t.dispose();
    });

    it('a query whose backend is terminated (pg_terminate_backend) fails transient, is retried and succeeds', async () => {
      const db = createPostgresDatabase({ kind: 'postgres', connectionString: t.url!, poolMax: 2, connectTimeoutMs: 5_000, requestTimeoutMs: 30_000 }, 'victim');
      const killer = new pg.Client({ connectionString: t.url! });
      await killer.connect();
      try {
        let attempts = 0;
        const reasons: string[] = [];
        const value = await withRetry(
          async () => {
            attempts += 1;
            const running = db.query<{ v: number }>('SELECT pg_sleep(2), 42 AS v');
            // Observed at once: it may reject while the killer is still polling, before the await below.
            running.catch(() => {});
            if (attempts === 1) {
              // Wait until the victim's query is visibly running, then kill its backend.
              for (let i = 0; i < 100; i++) {
                const { rowCount } = await killer.query(
                  "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim' AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
                );
                if (rowCount) break;
                await new Promise((r) => setTimeout(r, 20));
              }
            }
            return (await running).rows[0]!.v;
          },
          { baseMs: 10, capMs: 50, onRetry: ({ reason }) => reasons.push(reason) },
        );
        expect(value).toBe(42);
        expect(attempts).toBe(2);
        expect(reasons).toHaveLength(1);
        expect(reasons[0]).toMatch(/^pg:(57P01|connection-lost)$/);
      } finally {
        await killer.end();
        await db.close();
      }
    });

    it('a transaction whose backend is terminated rejects with a transient error, and the process and pool live on', async () => {
      const db = createPostgresDatabase({ kind: 'postgres', connectionString: t.url!, poolMax: 2, connectTimeoutMs: 5_000, requestTimeoutMs: 30_000 }, 'tx-victim');
      const killer = new pg.Client({ connectionString: t.url! });
      await killer.connect();
      try {
        const running = db.transaction(async (tx) => {
          await tx.query('SELECT 1');
          await tx.query('SELECT pg_sleep(5)');
        });
        running.catch(() => {});
        for (let i = 0; i < 100; i++) {
          const { rowCount } = await killer.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tx-victim' AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
          );
          if (rowCount) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        const failure = await running.then(() => null, (error: unknown) => error);
        expect(failure).not.toBeNull();
        expect(classifyError(failure).transient).toBe(true);
        // The dead connection was not handed back: the next statements get working ones.
        for (let i = 0; i < 3; i++) expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
      } finally {
        await killer.end();
        await db.close();
      }
    });
  },
  ['postgres'],
);
