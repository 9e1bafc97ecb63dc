import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { loadTableMapping } from '../src/plan/table-mapping.js';
import { BUNDLED_TABLES_FILE } from '../src/config.js';
import { createPullWorker } from '../src/sync-pull.js';
import { createPdvDatabase, memoryLogger, newHealth, planFor, workerConfig } from './support/pull-fixtures.js';

describeBackends('mapping checked against the local database', (backend) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createPdvDatabase(backend);
  });
  afterEach(async () => {
    await t.dispose();
  });

  it('plans the bundled mapping: every table, keys from the primary keys, order from dependsOn and foreign keys', async () => {
    const mapping = loadTableMapping(BUNDLED_TABLES_FILE);
    const plan = await planFor(t.db, { tables: mapping.tables.map((table) => ({ table: table.table })) });
    expect(plan.problems).toEqual([]);
    const order = plan.tables.map((table) => table.table);
    // No dependsOn given here: the local foreign keys alone put parents first.
    expect(order.indexOf('categoria')).toBeLessThan(order.indexOf('produto'));
    expect(order.indexOf('produto')).toBeLessThan(order.indexOf('preco_loja'));
    expect(order.indexOf('loja')).toBeLessThan(order.indexOf('preco_loja'));
    const preco = plan.tables.find((table) => table.table === 'preco_loja')!;
    expect(preco.keyColumns.map((column) => column.central)).toEqual(['loja_id', 'produto_id']);
    expect(preco.parents).toEqual(expect.arrayContaining(['loja', 'produto']));
    expect(plan.referencesTo('produto').map((link) => link.childTable)).toEqual([
      { schema: null, name: 'estoque' },
      { schema: null, name: 'preco_loja' },
    ]);
    const produto = plan.tables.find((table) => table.table === 'produto')!;
    expect(produto.columns.get('preco_base')!.local).toMatchObject({ type: 'decimal', precision: 18, scale: 4 });
    expect(produto.columns.get('codigo_barras')!.local).toMatchObject({ type: 'string', maxLength: 14 });
    expect(produto.columns.get('imagem')!.local.type).toBe('binary');
  });

  it('reports an unknown local table, a rename to an unknown column and a wrong key at start, per table', async () => {
    const plan = await planFor(t.db, {
      tables: [
        { table: 'categoria' },
        { table: 'produtos' },
        { table: 'produto', columns: { descricao: 'descricao_longa' } },
        { table: 'cliente', keyColumns: ['cpf_cnpj'] },
        { table: 'loja', columns: { nome: 'cnpj' } },
      ],
    });
    expect(plan.tables.map((table) => table.table)).toEqual(['categoria', 'loja']);
    expect(plan.problems).toEqual([
      { table: 'produtos', message: 'local table "produtos" not found in the database (test-mapping.json)' },
      { table: 'produto', message: 'column "descricao" is renamed to "descricao_longa", but local table "produto" has no such column (test-mapping.json, table "produto")' },
      { table: 'cliente', message: 'keyColumns cpf_cnpj do not match the primary key of "cliente" (cliente_id) (test-mapping.json, table "cliente")' },
    ]);
    // A rename maps central "nome" onto local "cnpj"; local "nome" then has no central column.
    const loja = plan.tables.find((table) => table.table === 'loja')!;
    expect(loja.columns.get('nome')!.local.name).toBe('cnpj');
    expect(loja.columns.has('cnpj')).toBe(false);
  });

  it('the worker reports a mapping problem in health and logs on its first cycle, before any row and without the central API', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'gp-mapping-'));
    const file = join(dir, 'sync-tables.json');
    await writeFile(file, JSON.stringify({ tables: [{ table: 'categoria' }, { table: 'produto', columns: { ncm: 'ncm_fiscal' } }] }));
    const health = newHealth();
    const logs = memoryLogger();
    const worker = createPullWorker({
      config: workerConfig({ PULL_TABLES_FILE: file, CENTRAL_API_URL: 'http://127.0.0.1:9' }),
      db: t.db,
      logger: logs.sync.logger,
      health,
    });
    try {
      await worker.runCycle(new AbortController().signal);
      const ready = health.readiness();
      expect(ready.info.failingTables).toBe('produto');
      expect(ready.degraded['table:produto']?.detail).toBe(`mapping: column "ncm" is renamed to "ncm_fiscal", but local table "produto" has no such column (${file}, table "produto")`);
      // Port 9 refuses connections: degraded, not failed.
      expect(ready.degraded['central-api']?.detail).toMatch(/central API unreachable/);
      const failure = logs.lines().find((line) => line.msg === 'table is failing; its checkpoint does not move');
      expect(failure).toMatchObject({ level: 'error', table: 'produto', reason: expect.stringContaining('ncm_fiscal') });
    } finally {
      await worker.stop?.();
      await logs.sync.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
