/**
 * Embedded PostgreSQL (PGlite) for development, tests and the demo: `@goldpdv/core/pglite`. Kept out of the
 * main entry point so that the daemons' production images neither ship nor load it; `openDatabase` loads it on
 * demand for a pglite:// DB_URL.
 */
export { createPgliteDatabase, wrapPglite } from './db/pglite.js';
export { startPglite } from './db/pglite-start.js';
export { servePglite, type PgliteServer } from './db/pglite-server.js';
