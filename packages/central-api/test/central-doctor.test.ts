import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCommonDir } from '@goldpdv/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { startAdminRig, type AdminRig } from './support/admin-rig.js';

describeBackends('central-api doctor (the CLI, as a child process)', (backend) => {
  let rig: AdminRig;
  beforeAll(async () => {
    rig = await startAdminRig(backend);
  });
  afterAll(async () => {
    await rig?.close();
  });

  const lineOf = (stdout: string, start: string) => stdout.split('\n').find((line) => line.startsWith(start));

  it('warns that no PDV is registered yet, then is ready once one is: one line per check, exit 0', async () => {
    const empty = await rig.cli(['doctor']);
    expect(empty.code, empty.stdout + empty.stderr).toBe(0);
    expect(lineOf(empty.stdout, 'WARN  PDV registry')).toBe('WARN  PDV registry: no active PDV: every PDV request is refused (401) Fix: central-api pdv add <pdv-id> --loja <loja-id> for each PDV (or pdv add --from-csv)');

    expect((await rig.cli(['pdv', 'add', 'loja01-pdv01', '--loja', '1'])).code).toBe(0);
    const run = await rig.cli(['doctor']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.slice(0, -1).map((line) => /^(PASS|WARN|FAIL|SKIP) {2}([a-zA-Z ]+)/.exec(line)?.slice(1).join(' '))).toEqual([
      'PASS database answers',
      'PASS compatibility level',
      'PASS snapshot isolation',
      'PASS change retention',
      'PASS change tracking',
      'PASS served tables',
      'PASS permissions',
      'PASS schema changes',
      'PASS event handlers',
      'PASS PDV registry',
    ]);
    expect(lineOf(run.stdout, 'PASS  change tracking')).toBe('PASS  change tracking: 8 table(s) record their changes (change-log trigger): categoria, cliente, estoque, forma_pagamento, loja, operador, preco_loja, produto');
    expect(lineOf(run.stdout, 'PASS  served tables')).toMatch(/^PASS {2}served tables: 8 of 8 declared table\(s\) served \(.*served-tables\.sample\.json\): categoria, loja, forma_pagamento, operador, cliente, produto, preco_loja, estoque$/);
    expect(lines.at(-1)).toBe('central-api doctor: 10 passed, 0 warning(s), 0 failed, 0 skipped: ready');
  });

  it('fails (exit 1) when a tracked table stops recording its changes, and names the fix', async () => {
    await rig.exec('ALTER TABLE produto DISABLE TRIGGER sync_track_change');
    try {
      const run = await rig.cli(['doctor']);
      expect(run.code).toBe(1);
      expect(lineOf(run.stdout, 'FAIL  change tracking (produto)')).toMatch(/its change-log trigger is missing or disabled: changes made now never reach the PDVs Fix: SELECT sync_enable_tracking\('produto', <key columns>\)/);
      expect(lineOf(run.stdout, 'PASS  change tracking')).toMatch(/7 table\(s\) record their changes/);
    } finally {
      await rig.exec('ALTER TABLE produto ENABLE TRIGGER sync_track_change');
    }
  });

  it('fails (exit 1) on each problem of the served-tables declaration, with the table it pauses', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'doctor-served-'));
    try {
      const sample = JSON.parse(await readFile(join(findCommonDir(), 'served-tables.sample.json'), 'utf8')) as { tables: unknown[] };
      const file = join(dir, 'served-tables.json');
      const broken = [
        { table: 'produto_extra', source: 'produto', columns: ['produto_id', 'nao_existe'], rowFilter: null },
        { table: 'estoque_filial', source: 'cad.Estoque', columns: ['id'], rowFilter: null },
      ];
      await writeFile(file, JSON.stringify({ tables: [...sample.tables, ...broken] }));
      const run = await rig.cli(['doctor'], { SERVED_TABLES_FILE: file });
      expect(run.code).toBe(1);
      expect(lineOf(run.stdout, 'FAIL  served tables (produto_extra)')).toBe(
        `FAIL  served tables (produto_extra): public.produto: declared column "nao_existe" does not exist: requests for produto_extra are answered 409 table-paused Fix: correct the database or ${file} (SERVED_TABLES_FILE)`,
      );
      expect(lineOf(run.stdout, 'FAIL  served tables (estoque_filial)')).toMatch(/^FAIL {2}served tables \(estoque_filial\): cad\.Estoque: table not found in the central database/);
      expect(lineOf(run.stdout, 'PASS  served tables')).toMatch(/^PASS {2}served tables: 8 of 10 declared table\(s\) served/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails on a handler that does not exist and warns on PDV_TOKENS and a short retention, as the API\'s own configuration', async () => {
    await rig.exec(`UPDATE sync_settings SET value = '1' WHERE name = 'change_retention_days'`);
    try {
      const run = await rig.cli(['doctor', '--json'], { EVENT_HANDLERS: 'venda.finalizada=sync_handle_venda,nfe.autorizada=sync_handle_nfe', PDV_TOKENS: 'dev-pdv:1:dev-token-aaaaaaaaaaaa' });
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as { lines: { check: string; status: string; subject?: string; detail: string }[] };
      const find = (check: string, subject?: string) => report.lines.filter((line) => line.check === check && (subject === undefined || line.subject === subject));
      expect(find('event handlers', 'venda.finalizada')[0]).toMatchObject({ status: 'pass' });
      expect(find('event handlers', 'nfe.autorizada')[0]).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^EVENT_HANDLERS names sync_handle_nfe, and a function sync_handle_nfe\(text, varchar\) is not in the database/) });
      // The missing routine is reported once, by its own line; permissions only cover the ones that exist.
      expect(find('permissions').map((line) => line.status)).toEqual(['pass']);
      expect(find('PDV registry').map((line) => line.status)).toEqual(['pass', 'warn']);
      expect(find('change retention')[0]).toMatchObject({ status: 'warn', detail: 'changes are kept 1 day(s): a PDV offline longer re-snapshots its tables' });
    } finally {
      await rig.exec(`UPDATE sync_settings SET value = '7' WHERE name = 'change_retention_days'`);
    }
  });

  it('exits 2 with one line on a bad configuration, as the API would', async () => {
    const run = await rig.cli(['doctor'], { ROW_FILTERS: 'preco_loja.loja_id' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^central-api: invalid configuration: ROW_FILTERS: expected it unset: row filters are declared in SERVED_TABLES_FILE now/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
}, ['pglite', 'postgres']);

describeBackends('central-api doctor as a login with too few permissions', (backend) => {
  let rig: AdminRig;
  let role: string;
  beforeAll(async () => {
    rig = await startAdminRig(backend);
    role = `gp_central_${randomBytes(4).toString('hex')}`;
    await rig.exec(`CREATE ROLE ${role} LOGIN`);
    await rig.exec(`GRANT SELECT ON sync_pdv, sync_inbox, loja, produto TO ${role}`);
  });
  afterAll(async () => {
    await rig.exec(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${role}`);
    await rig.exec(`REVOKE ALL ON SCHEMA public FROM ${role}`);
    await rig.close();
    // The role belongs to the server; its database is gone, so nothing refers to it any more.
    const { Client } = (await import('pg')).default;
    const admin = new Client({ connectionString: process.env.TEST_PG_URL });
    await admin.connect();
    try {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
    } finally {
      await admin.end();
    }
  });

  it('fails with one line per object it lacks, each with the GRANT that fixes it (has_table_privilege)', async () => {
    const url = new URL(rig.dbUrl);
    url.username = role;
    const run = await rig.cli(['doctor'], { DB_URL: url.toString() });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('FAIL  permissions (sync_pdv): INSERT, UPDATE not granted to this login (token lookups, last-seen times, pdv add/rotate-token/revoke/move) Fix: GRANT INSERT, UPDATE ON "sync_pdv" TO <user>');
    expect(run.stdout).toContain('FAIL  permissions (sync_inbox): INSERT, UPDATE, DELETE not granted to this login (event ingest and its dedupe)');
    expect(run.stdout).toContain('FAIL  permissions (sync_change_tracking): SELECT, UPDATE not granted to this login (the minimum valid versions) Fix: GRANT SELECT, UPDATE ON "sync_change_tracking" TO <user>');
    // What the check itself could not read is said as such, pointing at the permissions line.
    expect(run.stdout).toMatch(/^FAIL {2}change tracking: this login may not read what the check needs \(42501 permission denied for table sync_change_tracking\) Fix: grant what the permissions line lists$/m);
    expect(run.stdout).toMatch(/^WARN {2}schema changes: DB_SCHEMA_AUTO_APPLY=true, but this login may not create or alter objects/m);
  });
}, ['postgres']);
