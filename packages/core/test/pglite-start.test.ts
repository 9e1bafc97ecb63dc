import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startPglite } from '../src/db/pglite-start.js';

it('in-memory databases started from the reused fresh cluster are empty and independent of each other', async () => {
  const first = await startPglite(null);
  const second = await startPglite(null);
  try {
    await first.exec('CREATE TABLE only_in_first (id int); INSERT INTO only_in_first VALUES (1)');
    const tables = await second.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`);
    expect(tables.rows[0]!.n).toBe(0);
    expect((await first.query<{ id: number }>('SELECT id FROM only_in_first')).rows).toEqual([{ id: 1 }]);
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
});

it('a database in a folder keeps its data across a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gp-pglite-'));
  try {
    const before = await startPglite(dir);
    await before.exec('CREATE TABLE kept (id int); INSERT INTO kept VALUES (7)');
    await before.close();
    const after = await startPglite(dir);
    expect((await after.query<{ id: number }>('SELECT id FROM kept')).rows).toEqual([{ id: 7 }]);
    await after.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
