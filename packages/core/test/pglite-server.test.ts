import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import { startPglite } from '../src/db/pglite-start.js';
import pg from 'pg';
import { servePglite, type PgliteServer } from '../src/db/pglite-server.js';

/** PGlite shared by several connections must behave like a server: each request and transaction atomic. */
describe('PGlite served over the wire protocol', () => {
  let pglite: PGlite;
  let server: PgliteServer;
  beforeAll(async () => {
    pglite = await startPglite(null);
    server = await servePglite(pglite);
    await pglite.exec('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0);');
  });
  afterAll(async () => {
    await server.stop();
    await server.stop();
    await pglite.close();
  });

  it('keeps concurrent parameterised queries of many connections apart', async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 8 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 400 }, async (_, i) => {
          const { rows } = await pool.query<{ a: number; b: string }>('SELECT $1::int AS a, $2::text AS b', [i, `text-${i}`]);
          return rows[0]!.a === i && rows[0]!.b === `text-${i}`;
        }),
      );
      expect(answers.every(Boolean)).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it('keeps a client whose protocol messages arrive one by one apart from the others', async () => {
    // node-postgres sends Parse, Bind, Describe, Execute and Sync as separate writes; spacing them out makes
    // another connection's request arrive in between, as it does under load.
    const slow = new pg.Client({ connectionString: server.url });
    await slow.connect();
    const stream = (slow as unknown as { connection: { stream: { write: (chunk: unknown, ...rest: unknown[]) => boolean } } }).connection.stream;
    const write = stream.write.bind(stream);
    let chain = Promise.resolve();
    stream.write = (chunk: unknown, ...rest: unknown[]) => {
      chain = chain.then(() => new Promise((resolve) => setTimeout(() => resolve(void write(chunk, ...rest)), 5)));
      return true;
    };
    const fast = new pg.Pool({ connectionString: server.url, max: 4 });
    try {
      const slowAnswers = (async () => {
        const results: boolean[] = [];
        for (let i = 0; i < 20; i++) {
          const { rows } = await slow.query<{ a: number }>('SELECT $1::int AS a', [i]);
          results.push(rows[0]!.a === i);
        }
        return results;
      })();
      const fastAnswers = Promise.all(
        Array.from({ length: 200 }, async (_, i) => (await fast.query<{ b: string }>('SELECT $1::text || $2::text AS b', ['x', String(i)])).rows[0]!.b === `x${i}`),
      );
      expect([...(await slowAnswers), ...(await fastAnswers)].every(Boolean)).toBe(true);
    } finally {
      await fast.end();
      await slow.end();
    }
  });

  it('runs concurrent transactions one after another, so no increment is lost', async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 6 });
    try {
      await Promise.all(
        Array.from({ length: 60 }, async () => {
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            const { rows } = await client.query<{ n: number }>('SELECT n FROM counter WHERE id = $1', [1]);
            await client.query('UPDATE counter SET n = $1 WHERE id = $2', [rows[0]!.n + 1, 1]);
            await client.query('COMMIT');
          } finally {
            client.release();
          }
        }),
      );
      const { rows } = await pool.query<{ n: number }>('SELECT n FROM counter WHERE id = 1');
      expect(rows[0]!.n).toBe(60);
    } finally {
      await pool.end();
    }
  });

  it('a connection that dies inside a transaction does not keep the database', async () => {
    const victim = new pg.Client({ connectionString: server.url });
    await victim.connect();
    victim.on('error', () => {});
    await victim.query('BEGIN');
    await victim.query('UPDATE counter SET n = -1 WHERE id = 1');
    (victim as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    const other = new pg.Client({ connectionString: server.url });
    await other.connect();
    const { rows } = await other.query<{ n: number }>('SELECT n FROM counter WHERE id = 1');
    expect(rows[0]!.n).toBe(60);
    await other.end();
  });
});
