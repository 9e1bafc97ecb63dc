import pg from 'pg';

/**
 * A database of its own on the PostgreSQL server, dropped at the end: the figures read from pg_stat_database are
 * then central-api's alone (and the harness's own commits, which it counts).
 */
export interface ScratchDatabase {
  name: string;
  url: string;
  /** Transactions committed and rolled back in this database so far (pg_stat_database). */
  transactions(): Promise<number>;
  /**
   * Index scans of sync_pdv's token_hash index so far: central-api's token lookups (one per PDV each time its
   * AUTH_CACHE_TTL_MS entry has expired). Read over a connection to the scratch database, which costs one
   * transaction there per call: callers subtract it.
   */
  tokenLookups(): Promise<number>;
  drop(): Promise<void>;
}

export class ScratchDatabaseError extends Error {}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function createScratchDatabase(serverUrl: string): Promise<ScratchDatabase> {
  const name = `fleet_bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (cause) {
    await admin.end().catch(() => {});
    throw new ScratchDatabaseError(`cannot create a scratch database on ${new URL(serverUrl).host} (BENCH_PG_URL / TEST_PG_URL): ${(cause as Error).message}`, { cause });
  }
  let dropped: Promise<void> | null = null;
  let statistics: Promise<pg.Client> | null = null;
  return {
    name,
    url: withDatabase(serverUrl, name),
    async transactions() {
      // Counters a backend has not flushed yet show up late (PostgreSQL 15 flushes at most every second, an idle
      // backend within 10 s): callers read them after a settling pause.
      await admin.query('SELECT pg_stat_clear_snapshot()');
      const result = await admin.query<{ n: string }>('SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = $1', [name]);
      return Number(result.rows[0]?.n ?? 0);
    },
    async tokenLookups() {
      statistics ??= (async () => {
        const client = new pg.Client({ connectionString: withDatabase(serverUrl, name) });
        await client.connect();
        return client;
      })();
      const client = await statistics;
      // One statement, so one transaction: the snapshot is cleared and read in it.
      const result = await client.query<{ n: string | null }>(
        "SELECT (SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'uq_sync_pdv_token_hash')::text AS n, pg_stat_clear_snapshot()",
      );
      return Number(result.rows[0]?.n ?? 0);
    },
    drop() {
      dropped ??= (async () => {
        await statistics?.then((client) => client.end()).catch(() => {});
        try {
          await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await admin.end();
        }
      })();
      return dropped;
    },
  };
}
