import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { REPO_ROOT } from '../../packages/core/test/support/spawn-daemon.js';
import { registerPdv, runNode, startAdminRig, type AdminRig, type RegisteredPdv } from '../../packages/central-api/test/support/admin-rig.js';
import { pullStoresFor } from '../src/db/pull-stores.js';

const PULL_CLI = `${REPO_ROOT}/pull-service/dist/cli.js`;
const PDV_ID = 'loja01-pdv01';

describeBackends('pull-service doctor and resnapshot (the CLI, as a child process)', (backend) => {
  let central: AdminRig;
  let registered: RegisteredPdv;
  let pdv: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gp-pull-doctor-'));
    central = await startAdminRig(backend);
    registered = await registerPdv(central, backend, PDV_ID, 1);
    pdv = registered.pdv;
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await registered?.pdv.dispose();
    await central?.close();
  });

  const cli = (args: string[], env: Record<string, string> = {}) => runNode(PULL_CLI, args, { ...registered.env, ...env });

  it('passes with the bundled mapping: the local tables match it, and central serves each mapped table with the same key', async () => {
    const run = await cli(['doctor']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^PASS {2}table mapping: 8 table\(s\) of .*sync-tables\.json match the local database: categoria, produto, loja, preco_loja, cliente, forma_pagamento, operador, estoque$/m);
    expect(run.stdout).toMatch(/^PASS {2}permissions: every permission granted on 10 object\(s\)/m);
    expect(run.stdout).toMatch(/^PASS {2}key collations: the text key columns of the pulled tables \(\d+\) compare exactly$/m);
    expect(run.stdout).toMatch(/^PASS {2}served tables: 8 mapped table\(s\) served with matching keys: .*preco_loja \(filtered to this PDV's loja\).*estoque \(filtered to this PDV's loja\)/m);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('pull-service doctor: 11 passed, 1 warning(s), 0 failed, 0 skipped: nothing breaks syncing; read the WARN lines');
  });

  it('fails (exit 1) on a mapped table the local database does not have, and on one central does not serve', async () => {
    const mapping = join(dir, 'sync-tables.json');
    writeFileSync(mapping, JSON.stringify({ tables: [{ table: 'produto' }, { table: 'estoque', localTable: 'estoque_local' }, { table: 'venda' }] }));
    const run = await cli(['doctor'], { PULL_TABLES_FILE: mapping });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL {2}table mapping \(estoque\): local table "estoque_local" not found in the database .* Fix: create or correct the local table/m);
    // venda exists locally (the PDV's own sales table), but central tracks no such table.
    expect(run.stdout).toMatch(/^FAIL {2}served tables \(venda\): central does not serve venda to this PDV/m);
  });

  it('resnapshot --filtered puts the tables central filters by loja back to a snapshot, and only those', async () => {
    const checkpoints = pullStoresFor(pdv.db.dialect).checkpoints;
    await checkpoints.ensure(pdv.db, ['produto', 'preco_loja', 'estoque']);
    // New checkpoints start with a snapshot (the first sync loads the initial data): both tables are past theirs.
    await pdv.db.query(`UPDATE sync_checkpoint SET mode = 'delta' WHERE table_name IN ('produto', 'preco_loja', 'estoque')`);
    const run = await cli(['resnapshot', '--filtered']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('the next pull loads preco_loja, estoque again from a snapshot (then: docker compose start pull)\n');
    const modes = await checkpoints.readAll(pdv.db);
    expect(modes.get('preco_loja')!.mode).toBe('snapshot');
    expect(modes.get('produto')!.mode).toBe('delta');

    const named = await cli(['resnapshot', 'produto', 'estoque_filial']);
    expect(named.code).toBe(1);
    expect(named.stderr).toMatch(/^pull-service-cli: no checkpoint for estoque_filial \(pulled tables: .*\); nothing changed\n$/);
    expect((await checkpoints.readAll(pdv.db)).get('produto')!.mode).toBe('delta');
  });

  it('resnapshot --filtered refuses (exit 1) when central does not answer, rather than guess', async () => {
    const run = await cli(['resnapshot', '--filtered'], { CENTRAL_API_URL: 'http://127.0.0.1:1', PULL_CONNECT_TIMEOUT_MS: '500' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^pull-service-cli: the central API did not answer .* to GET \/v1\/tables, so the filtered tables are unknown; name them instead/);
  });
}, ['pglite', 'postgres']);
