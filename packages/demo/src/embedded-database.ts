import { createPostgresDatabase, type Database } from '@goldpdv/core';
import { servePglite, startPglite } from '@goldpdv/core/pglite';

export interface EmbeddedDatabase {
  name: string;
  /** postgres:// URL that the daemons (separate processes) use. */
  url: string;
  /** The demo's own connection, through the same socket server. */
  db: Database;
  stop(): Promise<void>;
}

/**
 * One embedded PostgreSQL (PGlite, in this process) served on a loopback port over the PostgreSQL protocol,
 * so that the daemons connect to it exactly as they would to a server. PGlite runs one transaction at a
 * time; the server hands it to one connection at a time.
 */
export async function startEmbeddedDatabase(name: string, dataDir?: string): Promise<EmbeddedDatabase> {
  // In memory unless a folder is given: the demo's databases live as long as the demo.
  const pglite = await startPglite(dataDir);
  const server = await servePglite(pglite);
  const url = server.url;
  const db = createPostgresDatabase({ kind: 'postgres', connectionString: url, poolMax: 2, connectTimeoutMs: 10_000, requestTimeoutMs: 120_000 }, 'goldpdv-demo');
  let stopping: Promise<void> | undefined;
  return {
    name,
    url,
    db,
    stop() {
      stopping ??= (async () => {
        await db.close();
        await server.stop();
        await pglite.close();
      })();
      return stopping;
    },
  };
}
