import { afterEach, beforeEach, expect, it } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applySchema, findCommonDir } from '../src/db/schema-runner.js';
import { describeBackends, type TestDatabase } from './support/backends.js';

const tableCount = async (t: TestDatabase, names: string[]) => {
  const list = names.map((n) => `'${n}'`).join(', ');
  const sql =
    t.db.dialect === 'mssql'
      ? `SELECT COUNT(*) AS n FROM sys.tables WHERE name IN (${list})`
      : `SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN (${list})`;
  return Number((await t.db.query<{ n: string | number }>(sql)).rows[0]!.n);
};

describeBackends('schema runner', (backend) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await backend.create();
  });
  afterEach(async () => {
    await t.dispose();
  });

  it('applies the PDV scripts once, and a second run changes nothing', async () => {
    const first = await applySchema(t.db, { role: 'pdv' });
    expect(first.applied.length).toBeGreaterThanOrEqual(3);
    expect(first.alreadyApplied).toBe(0);
    expect(await tableCount(t, ['sync_outbox', 'sync_checkpoint', 'sync_dead_letter', 'sync_rejected_row', 'produto', 'venda'])).toBe(6);

    const second = await applySchema(t.db, { role: 'pdv' });
    expect(second).toEqual({ applied: [], alreadyApplied: first.applied.length });
    const versions = await t.db.query<{ n: string | number }>('SELECT COUNT(*) AS n FROM sync_schema_version');
    expect(Number(versions.rows[0]!.n)).toBe(first.applied.length);
  });

  it('applies the central scripts once, and a second run changes nothing', async () => {
    const first = await applySchema(t.db, { role: 'central' });
    expect(first.applied.length).toBeGreaterThanOrEqual(2);
    expect(await tableCount(t, ['sync_inbox', 'sync_pdv', 'produto', 'preco_loja'])).toBe(4);
    expect(await applySchema(t.db, { role: 'central' })).toEqual({ applied: [], alreadyApplied: first.applied.length });
  });

  it('two runners at once apply each script exactly once', async () => {
    const [a, b] = await Promise.all([applySchema(t.db, { role: 'pdv' }), applySchema(t.db, { role: 'pdv' })]);
    const total = a.applied.length + b.applied.length;
    const versions = await t.db.query<{ n: string | number }>('SELECT COUNT(*) AS n FROM sync_schema_version');
    expect(total).toBe(Number(versions.rows[0]!.n));
    expect(a.alreadyApplied + b.alreadyApplied).toBe(total);
  });

  it('applies only the new script when one is added later, in numeric order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gp-schema-'));
    try {
      const folder = join(dir, t.db.dialect, 'pdv');
      await mkdir(folder, { recursive: true });
      await mkdir(join(dir, t.db.dialect === 'mssql' ? 'postgres' : 'mssql'), { recursive: true });
      await writeFile(join(folder, '0001_first.sql'), 'CREATE TABLE first_table (id int)');
      expect((await applySchema(t.db, { role: 'pdv', commonDir: dir })).applied).toEqual(['pdv/0001_first.sql']);
      await writeFile(join(folder, '0010_third.sql'), 'INSERT INTO first_table VALUES (3)');
      await writeFile(join(folder, '0002_second.sql'), 'INSERT INTO first_table VALUES (2)');
      const next = await applySchema(t.db, { role: 'pdv', commonDir: dir });
      expect(next).toEqual({ applied: ['pdv/0002_second.sql', 'pdv/0010_third.sql'], alreadyApplied: 1 });
      const { rows } = await t.db.query<{ id: number }>('SELECT id FROM first_table ORDER BY id');
      expect(rows.map((r) => r.id)).toEqual([2, 3]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('carries an earlier release\'s records forward: a replaced name covers its successors, and an earlier wording\'s checksum is updated, without running anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gp-schema-'));
    const logged: string[] = [];
    const logger = { info: (_: object, msg: string) => logged.push(`info ${msg}`), warn: (_: object, msg: string) => logged.push(`warn ${msg}`) };
    try {
      const folder = join(dir, t.db.dialect, 'pdv');
      await mkdir(folder, { recursive: true });
      await mkdir(join(dir, t.db.dialect === 'mssql' ? 'postgres' : 'mssql'), { recursive: true });
      // What an earlier release applied: one combined script, and a script in its earlier wording.
      await writeFile(join(folder, '0001_combined.sql'), 'CREATE TABLE part_a (id int);\nCREATE TABLE part_b (id int);');
      await writeFile(join(folder, '0003_reworded.sql'), 'CREATE TABLE part_c (id int)');
      await applySchema(t.db, { role: 'pdv', commonDir: dir });
      const earlier = (await t.db.query<{ checksum: string }>(`SELECT checksum FROM sync_schema_version WHERE script_name = 'pdv/0003_reworded.sql'`)).rows[0]!.checksum;

      // Today's release: the combined script split in two (running either again would fail), the other reworded.
      await rm(join(folder, '0001_combined.sql'));
      await writeFile(join(folder, '0001_part_a.sql'), 'CREATE TABLE part_a (id int)');
      await writeFile(join(folder, '0002_part_b.sql'), 'CREATE TABLE part_b (id int)');
      await writeFile(join(folder, '0003_reworded.sql'), '-- the same table, explained\nCREATE TABLE part_c (id int)');
      const history = { replacedNames: { 'pdv/0001_combined.sql': ['pdv/0001_part_a.sql', 'pdv/0002_part_b.sql'] }, earlierChecksums: { 'pdv/0003_reworded.sql': [earlier] } };
      const next = await applySchema(t.db, { role: 'pdv', commonDir: dir, history, logger });
      expect(next).toEqual({ applied: [], alreadyApplied: 3 });
      expect(logged.filter((line) => line.startsWith('warn'))).toEqual([]);
      expect(logged.filter((line) => line.includes('recorded as applied'))).toHaveLength(2);
      const { rows } = await t.db.query<{ script_name: string; checksum: string }>('SELECT script_name, checksum FROM sync_schema_version ORDER BY script_name');
      expect(rows.map((row) => row.script_name)).toEqual(['pdv/0001_combined.sql', 'pdv/0001_part_a.sql', 'pdv/0002_part_b.sql', 'pdv/0003_reworded.sql']);
      expect(rows[3]!.checksum).not.toBe(earlier);
      // A third run finds every record current: nothing runs, nothing is reported as changed.
      logged.length = 0;
      expect(await applySchema(t.db, { role: 'pdv', commonDir: dir, history, logger })).toEqual({ applied: [], alreadyApplied: 3 });
      expect(logged).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a new database runs the successors of a replaced name, which it never recorded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gp-schema-'));
    try {
      const folder = join(dir, t.db.dialect, 'pdv');
      await mkdir(folder, { recursive: true });
      await mkdir(join(dir, t.db.dialect === 'mssql' ? 'postgres' : 'mssql'), { recursive: true });
      await writeFile(join(folder, '0001_part_a.sql'), 'CREATE TABLE part_a (id int)');
      await writeFile(join(folder, '0002_part_b.sql'), 'CREATE TABLE part_b (id int)');
      const history = { replacedNames: { 'pdv/0001_combined.sql': ['pdv/0001_part_a.sql', 'pdv/0002_part_b.sql'] }, earlierChecksums: {} };
      expect((await applySchema(t.db, { role: 'pdv', commonDir: dir, history })).applied).toEqual(['pdv/0001_part_a.sql', 'pdv/0002_part_b.sql']);
      expect(await tableCount(t, ['part_a', 'part_b'])).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a failing script leaves no record and no partial change behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gp-schema-'));
    try {
      const folder = join(dir, t.db.dialect, 'pdv');
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, '0001_broken.sql'), 'CREATE TABLE half_done (id int);\nINSERT INTO no_such_table VALUES (1);');
      await expect(applySchema(t.db, { role: 'pdv', commonDir: dir })).rejects.toThrow(/no_such_table/);
      expect(await tableCount(t, ['half_done'])).toBe(0);
      const { rows } = await t.db.query<{ n: string | number }>('SELECT COUNT(*) AS n FROM sync_schema_version');
      expect(Number(rows[0]!.n)).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

it('finds common/ above the package', () => {
  expect(findCommonDir()).toMatch(/common$/);
});
